"""Files that hold payloads or secrets are for the connector's user only.

The state directory holds every payload and dead letter (alarm texts, host names); it is created
0700 and its files 0600 (the umask is narrowed while they are created; SQLite gives the ``-wal``
and ``-shm`` files the permissions of the database). Files the administrator made (an authkey or
password file, an existing state directory) are not changed, but a warning says when others can
read them.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PRIVATE_UMASK = 0o077


@contextlib.contextmanager
def private_files() -> Iterator[None]:
    """Files and directories created inside are readable by their owner only."""
    previous = os.umask(PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def readable_by_others(path: str | os.PathLike[str], bits: int = stat.S_IROTH) -> bool:
    try:
        return bool(os.stat(path).st_mode & bits)
    except OSError:
        return False


def state_warnings(state_dir: str | os.PathLike[str], database: str) -> list[str]:
    """A warning when other users can reach the state database (an existing directory)."""
    found = []
    directory = Path(state_dir)
    if readable_by_others(directory, stat.S_IXOTH) and readable_by_others(directory / database):
        found.append(
            f"state_dir {str(directory)!r} and its database are readable by other users: "
            f"they hold every payload; chmod 700 {directory} && chmod 600 {directory}/*"
        )
    return found


def secret_file_warnings(config: Any) -> list[str]:
    """Warnings for secret files (``*authkey_file``, ``*password_file``, in any table) that other
    users may read."""
    base = Path(config.path).parent if getattr(config, "path", None) else None
    found = []
    for where, name, value in _settings(config.as_dict()):
        if not (name.endswith("authkey_file") or name.endswith("password_file")) or not value:
            continue
        target = Path(value)
        if base is not None and not target.is_absolute():
            target = base / target
        if readable_by_others(target):
            found.append(
                f"{where}{name} = {str(value)!r} is readable by other users: it holds a secret; "
                f"chmod 600 {target}"
            )
    return found


def _settings(values: Any, where: str = "") -> Iterator[tuple[str, str, Any]]:
    if isinstance(values, dict):
        for name, value in values.items():
            if isinstance(value, dict):
                yield from _settings(value, f"{where}{name}.")
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    yield from _settings(item, f"{where}{name}[{index}].")
            else:
                yield where, str(name), value
