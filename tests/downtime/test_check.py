"""``centreon-canopsis check`` against a healthy and a broken sandbox."""

from __future__ import annotations

import re
import shutil
import ssl
from pathlib import Path

import pytest

from centreon_canopsis.core.cli import main
from centreon_canopsis.standins.canopsis import PRODUCER_PERMISSIONS
from tests.downtime.helpers import REASON, api, free_port, sandbox
from tests.support.config import AUTHKEY
from tests.support.pki import PKI
from tests.support.recorder import Recorder


def write_config(tmp_path: Path, port: int, authkey: str = AUTHKEY, **settings) -> str:
    lines = [
        'canopsis_host = "127.0.0.1"',
        f"canopsis_port = {port}",
        'sending_protocol = "http"',
        f'canopsis_authkey = "{authkey}"',
        f'state_dir = "{tmp_path / "state"}"',
        "connection_timeout = 5",
    ]
    for key, value in settings.items():
        lines.append(f"{key} = {value!r}".replace("'", '"'))
    path = tmp_path / "connector.toml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def check(capsys, path: str) -> tuple[int, list[str]]:
    code = main(["check", "-c", path])
    out = capsys.readouterr().out
    return code, out.splitlines()


def masked(lines: list[str], *secrets: str) -> bool:
    return not any(secret in line for line in lines for secret in secrets)


@pytest.mark.parametrize(("version", "bulk"), [("24.04", 0), ("22.10", 1)])
def test_healthy(tmp_path, capsys, version, bulk):
    with sandbox(version) as box:
        port = box.port
        code, lines = check(capsys, write_config(tmp_path, box.port, canopsis_downtime_bulk=bulk))
        reason_id = box.reason_id(REASON)
        type_id = box.type_id("Default maintenance")
        assert box.pbehaviors() == []  # the test pbehavior is gone
        assert [e["component"] for e in box.received_events()] == ["centreon-canopsis-check"]
        assert box.received_events()[0]["state"] == 0
    color = "pbehaviors carry a color" if version == "22.10" else "no pbehavior color needed"
    route = "/api/v4/bulk/pbehaviors (bulk)" if bulk else "/api/v4/pbehaviors"
    assert code == 0
    assert lines[0] == f"checking Canopsis at http://127.0.0.1:{port} (authkey ******)"
    assert lines[1] == f"[ OK ] app-info: Canopsis {version}.0 (community); {color}"
    assert lines[2] == (
        f"[ OK ] pbehavior reason 'Centreon_downtime': was missing: created it (id {reason_id}), "
        "as the connector does at start-up"
    )
    assert lines[3] == f"[ OK ] pbehavior type 'Default maintenance': found (id {type_id})"
    assert lines[4] == (
        "[ OK ] test event: accepted by POST /api/v4/event (component 'centreon-canopsis-check', state 0)"
    )
    assert re.fullmatch(
        rf"\[ OK \] test pbehavior: centreon-canopsis-check-\d+-[0-9a-f]{{6}} created, commented and deleted "
        rf"through {re.escape(route)}",
        lines[5],
    )
    assert lines[6:] == ["all checks passed"]
    assert masked(lines, AUTHKEY)


def test_reason_already_there(tmp_path, capsys):
    with sandbox() as box:
        reason_id = api(
            box, "POST", "/api/v4/pbehavior-reasons", json={"name": REASON, "description": "d"}
        ).json()["_id"]
        code, lines = check(capsys, write_config(tmp_path, box.port))
    assert code == 0
    assert lines[2] == f"[ OK ] pbehavior reason 'Centreon_downtime': found (id {reason_id})"


def test_wrong_authkey(tmp_path, capsys):
    wrong = "wrong-key-0123456789"
    with sandbox() as box:
        port = box.port
        code, lines = check(capsys, write_config(tmp_path, port, authkey=wrong))
    assert code == 1
    assert lines[1] == '[FAIL] app-info: GET /api/v4/app-info answered HTTP 401: {"error":"Unauthorized"}'
    assert (
        lines[2]
        == "       fix: check canopsis_authkey: it must be the authentication key of an enabled Canopsis user"
    )
    assert lines[3] == (
        "       try: curl -X GET -H 'x-canopsis-authkey: ******' -H 'accept: application/json' "
        f"http://127.0.0.1:{port}/api/v4/app-info"
    )
    assert lines[4:] == [
        "[SKIP] pbehavior reason 'Centreon_downtime': the authkey is refused (see above)",
        "[SKIP] pbehavior type 'Default maintenance': the authkey is refused (see above)",
        "[SKIP] test event: the authkey is refused (see above)",
        "[SKIP] test pbehavior: the authkey is refused (see above)",
        "1 check failed",
    ]
    assert masked(lines, wrong, AUTHKEY)


def test_missing_type(tmp_path, capsys):
    with sandbox() as box:
        code, lines = check(capsys, write_config(tmp_path, box.port, canopsis_downtime_type_name="Centreon"))
    assert code == 1
    assert lines[3] == (
        "[FAIL] pbehavior type 'Centreon': does not exist in Canopsis "
        "(types found: 'Default active', 'Default inactive', 'Default maintenance', 'Default pause'): set "
        "canopsis_downtime_type_name to one of them, or create the type in Canopsis; downtimes wait in the "
        "outbox until then"
    )
    assert lines[4].startswith("       try: curl -X GET -H 'x-canopsis-authkey: ******'")
    assert lines[5].startswith("[ OK ] test event:")
    assert lines[6] == "[FAIL] test pbehavior: not tried: the pbehavior type id is unknown (see above)"
    assert lines[-1] == "2 checks failed"


def test_missing_rights(tmp_path, capsys):
    with sandbox() as box:
        user = box.add_user("centreon", permissions=PRODUCER_PERMISSIONS - {"api_pbehavior:create"})
        api(box, "POST", "/api/v4/pbehavior-reasons", json={"name": REASON, "description": "d"})
        code, lines = check(capsys, write_config(tmp_path, box.port, authkey=user.authkey))
    assert code == 1
    failed = [line for line in lines if line.startswith("[FAIL]")]
    assert failed == [
        '[FAIL] test pbehavior: POST /api/v4/bulk/pbehaviors answered HTTP 403: {"error":"Forbidden"}'
    ]
    fix = lines[lines.index(failed[0]) + 1]
    assert fix == (
        "       fix: give the authkey's user the right: Administration > Rights > API > PBehavior: "
        "PBehaviors (create, read, update, delete)"
    )
    assert masked(lines, user.authkey)


def test_unreachable(tmp_path, capsys):
    port = free_port()
    code, lines = check(capsys, write_config(tmp_path, port))
    assert code == 3, "Canopsis unreachable: a needed resource is unavailable (README exit codes)"
    assert lines[1] == f"[FAIL] app-info: cannot reach http://127.0.0.1:{port}: ConnectionError"
    assert lines[2] == (
        "       fix: check canopsis_host, canopsis_port and sending_protocol, "
        "and that no firewall is in the way"
    )
    assert [line.split(":")[0] for line in lines[4:8]] == [
        "[SKIP] pbehavior reason 'Centreon_downtime'",
        "[SKIP] pbehavior type 'Default maintenance'",
        "[SKIP] test event",
        "[SKIP] test pbehavior",
    ]
    assert lines[-1] == "1 check failed"


def test_https_to_a_plain_http_port_points_at_sending_protocol(tmp_path, capsys):
    with sandbox() as box:
        path = write_config(tmp_path, box.port)
        Path(path).write_text(Path(path).read_text().replace('"http"', '"https"'))
        code, lines = check(capsys, path)
    assert code == 1
    assert lines[1].startswith("[FAIL] app-info: TLS error:")
    assert lines[2] == (
        '       fix: Canopsis answers plain HTTP on this port: set sending_protocol = "http", '
        "or point canopsis_port at its HTTPS port"
    )


def https_config(tmp_path: Path, port: int, ca_file: Path) -> str:
    path = Path(write_config(tmp_path, port, ca_file=str(ca_file)))
    path.write_text(path.read_text().replace('"http"', '"https"'))
    return str(path)


def test_https_with_a_certificate_of_another_ca_points_at_ca_file(tmp_path, capsys, tmp_path_factory):
    """The client verifies Canopsis's certificate against ca_file (no CA bundle of its own)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not available")
    pki = PKI(tmp_path_factory.mktemp("pki"))
    server = Recorder()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, pki.server))
    server.server.socket = context.wrap_socket(server.server.socket, server_side=True)
    with server:
        path = https_config(tmp_path, server.port, pki.other_ca)
        code, lines = check(capsys, path)
        assert code == 1 and not server.requests, lines
        assert lines[1].startswith("[FAIL] app-info: TLS error: [SSL: CERTIFICATE_VERIFY_FAILED]")
        assert lines[2] == (
            "       fix: set ca_file to the CA that signed Canopsis's certificate, or verify_certificate = 0"
        )
        _, lines = check(capsys, https_config(tmp_path, server.port, pki.ca))
    assert not any("TLS error" in line for line in lines)
    assert server.requests[0].path == "/api/v4/app-info"


def test_downtimes_off(tmp_path, capsys):
    with sandbox() as box:
        code, lines = check(capsys, write_config(tmp_path, box.port, canopsis_downtime_send_pbh=0))
        assert box.reasons()[0]["name"] == "Default" and len(box.reasons()) == 1
    assert code == 0
    assert (
        lines[2]
        == "[SKIP] pbehavior reason 'Centreon_downtime': downtimes are off (canopsis_downtime_send_pbh = 0)"
    )
    assert lines[5] == "[SKIP] test pbehavior: downtimes are off (canopsis_downtime_send_pbh = 0)"


def test_invalid_configuration(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text('canopsis_host = "x"\ncanopsis_authkey = "k"\ncanopsis_port = "nope"\n')
    assert main(["check", "-c", str(path)]) == 2


def test_reason_missing_and_no_right_to_create_it(tmp_path, capsys):
    with sandbox() as box:
        user = box.add_user("centreon", permissions=PRODUCER_PERMISSIONS - {"api_pbehaviorreason:create"})
        code, lines = check(capsys, write_config(tmp_path, box.port, authkey=user.authkey))
    assert code == 1
    assert lines[2] == (
        "[FAIL] pbehavior reason 'Centreon_downtime': is missing and could not be created: HTTP 403 on "
        "/api/v4/pbehavior-reasons: the authkey's user lacks the API right for this (Canopsis: "
        "Administration > Rights > API, PBehavior section)"
    )
    assert lines[3] == (
        "       fix: give the authkey's user the rights: Administration > Rights > API > PBehavior: "
        "Reasons (create, read)"
    )
    assert lines[-1] == "2 checks failed"  # the test pbehavior cannot be tried either
