"""The configuration reference of the README, rendered from the schema so they cannot drift.

``python -m centreon_canopsis.core.config_reference README.md`` rewrites the block between the
``<!-- config-reference:start -->`` and ``<!-- config-reference:end -->`` markers; a test fails
when the README's block differs from what the schema renders.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from centreon_canopsis.core.config import schema

START = "<!-- config-reference:start -->"
END = "<!-- config-reference:end -->"


def _default(value: Any) -> str:
    if value is None:
        return "(unset)"
    if value == "":
        return '`""`'
    return f"`{json.dumps(value, ensure_ascii=False)}`"


def _row(name: str, prop: dict[str, Any]) -> str:
    meaning = prop.get("description", "").replace("|", "\\|").replace("\n", " ")
    notes = []
    if "x-lua-default" in prop:
        notes.append(f"Lua default: `{prop['x-lua-default']}`.")
    if prop.get("x-secret"):
        notes.append("Secret: never logged.")
    if not prop.get("x-lua", False) and "x-lua" in prop:
        notes.append("New in this connector.")
    text = " ".join([meaning, *notes]).strip()
    return f"| `{name}` | {_default(prop.get('default'))} | {text} |"


def render() -> str:
    properties = schema()["properties"]
    groups: dict[str, list[str]] = {}
    tables = []
    for name, prop in properties.items():
        if prop.get("type") == "object":
            tables.append((name, prop))
            continue
        groups.setdefault(prop.get("x-group", "Other"), []).append(_row(name, prop))
    parts = []
    for group, rows in groups.items():
        parts += [f"#### {group}", "", "| parameter | default | meaning |", "|---|---|---|", *rows, ""]
    for name, prop in tables:
        parts += [f"#### `[{name}]` table", "", prop.get("description", ""), ""]
        parts += ["| key | default | meaning |", "|---|---|---|"]
        parts += [_row(key, sub) for key, sub in prop.get("properties", {}).items()]
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def block() -> str:
    return f"{START}\n\n{render()}\n{END}"


def update(path: str) -> bool:
    """Rewrites the reference block of ``path``; True when it changed."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    start, end = text.index(START), text.index(END) + len(END)
    new = text[:start] + block() + text[end:]
    if new != text:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(new)
    return new != text


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "README.md"
    print(f"{target}: {'updated' if update(target) else 'up to date'}")
