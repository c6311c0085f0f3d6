"""``check`` runs the diagnostics against the top-level Canopsis and each customer's."""

from __future__ import annotations

from pathlib import Path

from centreon_canopsis.core.cli import main
from centreon_canopsis.standins.canopsis import Sandbox


def test_check_each_customer_canopsis(tmp_path: Path, capsys, monkeypatch) -> None:
    with Sandbox(resolve_delay=0, seed=0) as top, Sandbox(resolve_delay=0, seed=1) as acme:
        wrong = "acme-wrong-key-4f5e"
        path = tmp_path / "connector.toml"
        path.write_text(
            f"""
canopsis_host = "127.0.0.1"
canopsis_port = {top.port}
sending_protocol = "http"
canopsis_authkey = "{top.authkey}"
state_dir = "{tmp_path / "state"}"
connection_timeout = 5

[[customers]]
name = "acme"
pollers = "Central"
canopsis_port = {acme.port}
"""
        )
        monkeypatch.setenv("CANOPSIS_AUTHKEY_ACME", wrong)
        code = main(["check", "-c", str(path)])
        out = capsys.readouterr().out
        acme_port, top_key = acme.port, top.authkey
    assert code == 1
    top_part, acme_part = out.split("customer acme:")
    assert "all checks passed" in top_part
    assert f"checking Canopsis at http://127.0.0.1:{acme_port}" in acme_part
    assert "[FAIL] app-info" in acme_part and "canopsis_authkey" in acme_part
    assert wrong not in out and top_key not in out
