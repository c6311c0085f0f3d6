"""The committed *_pb2.py modules are exactly what protoc makes of the committed .proto files."""

from __future__ import annotations

from pathlib import Path

import pytest

from centreon_canopsis.core.bbdo.proto import regenerate

pytest.importorskip("grpc_tools", reason="grpcio-tools (dev extra) regenerates the modules")


def test_regenerating_yields_the_committed_files(tmp_path: Path) -> None:
    generated = regenerate.generate(tmp_path)
    protos = {p.stem for p in regenerate.proto_files()}
    assert set(generated) == {f"{name}_pb2.py" for name in protos}
    for name, data in generated.items():
        assert (regenerate.HERE / name).read_bytes() == data, f"{name} is stale: run the regenerate module"
    assert regenerate.main(["--check"]) == 0
