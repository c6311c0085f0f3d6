"""The package layout holds: the engine never imports the stand-ins, and every package is installed.

docs/architecture.md lists which package may import which; these tests are that table, enforced.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NAMESPACE = "centreon_canopsis"

# package -> the packages of ours it may import (besides itself).
ALLOWED: dict[str, set[str]] = {
    "core": {"schemas"},
    "plugins": {"core", "schemas", "plugins"},
    "schemas": set(),
    "standins": {"core", "plugins", "schemas"},
}


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every absolute module name ``path`` imports (also inside functions), with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            # ``from centreon_canopsis import standins`` names the package in the alias
            if node.module == NAMESPACE:
                found += [(node.lineno, f"{NAMESPACE}.{alias.name}") for alias in node.names]
    return found


def _top_package(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != NAMESPACE or len(parts) < 2:
        return None
    return parts[1]


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_follow_the_layout(package: str) -> None:
    wrong = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, module in _imports(path):
            target = _top_package(module)
            if target is None or target == package:
                continue
            if target not in ALLOWED[package]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
            # string-named imports are found too: importlib of a stand-in from the engine
    assert not wrong, f"{package}/ may import only {sorted(ALLOWED[package])}:\n" + "\n".join(wrong)


def test_the_engine_does_not_name_the_standins_at_all() -> None:
    """Not even through importlib or a string: the engine must run without the stand-ins."""
    named = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "core").rglob("*.py"))
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if f"{NAMESPACE}.standins" in text and not text.lstrip().startswith("#")
    ]
    assert not named, "core/ names the stand-ins:\n" + "\n".join(named)


def test_every_package_folder_is_installed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    on_disk = {
        NAMESPACE + "." + ".".join(init.parent.relative_to(ROOT).parts)
        for top in ALLOWED
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert on_disk == listed, (
        f"missing from pyproject: {sorted(on_disk - listed)}; listed but absent: {sorted(listed - on_disk)}"
    )


def test_core_holds_no_standin_modules() -> None:
    leftovers = [
        name
        for name in ("sandbox", "simulate", "demo.py", "pytest_plugin.py")
        if (ROOT / "core" / name).exists()
    ]
    assert not leftovers


def test_the_engine_loads_the_bbdo_decoders_only_when_a_bbdo_part_needs_them():
    """core/bbdo/__init__.py is lazy: the pipeline (a JSON-lines daemon, ``validate``, the cold
    start of benchmarks/cache_scale.py) never pays for the protobuf runtime and the decoders."""
    code = (
        "import sys\n"
        "from centreon_canopsis.core.pipeline import Pipeline\n"
        "from centreon_canopsis.core.bbdo import peers\n"
        "assert 'google.protobuf' not in sys.modules, 'protobuf loaded'\n"
        "from centreon_canopsis.core.bbdo import Reassembler, BBDOCodec\n"
        "import centreon_canopsis.core.bbdo as bbdo\n"
        "assert set(bbdo.__all__) == set(bbdo._WHERE) and all(getattr(bbdo, n) for n in bbdo.__all__)\n"
        "assert 'google.protobuf' in sys.modules\n"
    )
    done = python(code)
    assert done.returncode == 0, done.stderr


def python(code: str) -> subprocess.CompletedProcess[str]:
    """``code`` run by a fresh interpreter (what a module imports shows only in a new process)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_a_command_loads_only_its_own_module_and_never_the_standins():
    """``centreon-canopsis run`` (and ``status``, ``tap``...) registers its own parser only: the
    daemon does not import the stand-ins and the other commands (0.9 s and 30 MB at every start,
    when bytecode is not cached). ``--help`` and a wrong command still see them all."""
    code = (
        "import sys\n"
        "from centreon_canopsis.core.cli import main\n"
        "assert main(['version']) == 0\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('centreon_canopsis.') and "
        "('standins' in m or '.cli.' in m))\n"
        "assert loaded == [f'centreon_canopsis.core.cli.{m}' for m in ('exitcodes', 'version')], loaded\n"
        "try:\n"
        "    main(['no-such-command'])\n"
        "except SystemExit as stop:\n"
        "    assert stop.code == 2\n"
        "assert 'centreon_canopsis.standins.cli.simulate' in sys.modules\n"
    )
    done = python(code)
    assert done.returncode == 0, done.stderr
    assert "invalid choice: 'no-such-command'" in done.stderr and "simulate" in done.stderr
    listing = python("import sys; from centreon_canopsis.core.cli import main; sys.exit(main(['--help']))")
    assert listing.returncode == 0
    assert all(name in listing.stdout for name in ("run", "sandbox", "statedb", "top"))
