"""Regenerates the ``*_pb2.py`` modules next to the ``.proto`` files of this folder.

Run ``python -m centreon_canopsis.core.bbdo.proto.regenerate`` (needs the ``dev`` extra,
grpcio-tools). ``--check`` compares instead of writing and exits 1 when a module is out of date;
tests/bbdo/test_proto_regen.py runs that comparison.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def proto_files() -> list[Path]:
    return sorted(HERE.glob("*.proto"))


def generate(out_dir: Path) -> dict[str, bytes]:
    """Runs protoc on every .proto file of this folder into ``out_dir``; returns name -> content."""
    from grpc_tools import protoc  # dev dependency, imported only here

    args = ["protoc", f"-I{HERE}", f"--python_out={out_dir}", *(p.name for p in proto_files())]
    if protoc.main(args) != 0:
        raise RuntimeError("protoc failed: " + " ".join(args))
    return {p.name: p.read_bytes() for p in sorted(out_dir.glob("*_pb2.py"))}


def _read(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        generated = generate(Path(tmp))
    stale = [name for name, data in generated.items() if _read(HERE / name) != data]
    if args.check:
        for name in stale:
            print(f"out of date: {name}", file=sys.stderr)
        return 1 if stale else 0
    for name, data in generated.items():
        (HERE / name).write_bytes(data)
        print(f"wrote {HERE / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
