"""``POST /api/v4/event`` (canopsis-api.md section 2)."""

from __future__ import annotations

import http.client
import threading
from typing import Any

import orjson
import pytest

from centreon_canopsis.standins.canopsis import Sandbox
from tests.sandbox.conftest import AUTHKEY, JSON_UTF8, Api, action, check

EMPTY_RESPONSE = b'{"sent_events":[],"failed_events":[],"retry_events":[]}'


def post(api: Api, body: Any) -> dict[str, Any]:
    response = api.events(body)
    assert response.headers["Content-Type"] == "application/json"
    data = response.json()
    assert list(data) == ["sent_events", "failed_events", "retry_events"]
    assert data["retry_events"] == []
    return data


def test_worked_example_of_section_2_5(api: Api) -> None:
    first = {
        "event_type": "check",
        "connector": "c",
        "connector_name": "cn",
        "component": "h1",
        "resource": "cpu",
        "source_type": "component",
        "state": "2",
        "hostgroups": ["g1"],
    }
    second = {"event_type": "check", "connector": "c", "connector_name": "cn", "state": 1}
    response = api.events([first, second])
    assert response.content == (
        b'{"sent_events":[{"event_type":"check","connector":"c","connector_name":"cn","component":"h1",'
        b'"resource":"cpu","source_type":"resource","state":2,"hostgroups":["g1"],"author":"root",'
        b'"user_id":"root"}],"failed_events":[{"event_type":"check","connector":"c","connector_name":"cn",'
        b'"state":1,"author":"root","user_id":"root"}],"retry_events":[]}'
    )


def test_single_object_and_empty_array(api: Api) -> None:
    data = post(api, check("h1", "cpu"))
    assert len(data["sent_events"]) == 1 and data["failed_events"] == []
    assert api.events([]).content == EMPTY_RESPONSE


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", 'cannot parse JSON: cannot parse empty string; unparsed tail: \\"\\"'),
        (b"   ", 'cannot parse JSON: cannot parse empty string; unparsed tail: \\"\\"'),
        (
            b'{"a":',
            "cannot parse JSON: cannot parse object: cannot parse object value: cannot parse empty string; "
            'unparsed tail: \\"\\"',
        ),
        (
            b"[1,",
            "cannot parse JSON: cannot parse array: cannot parse array value: cannot parse empty string; "
            'unparsed tail: \\"\\"',
        ),
        (
            b"{x}",
            'cannot parse JSON: cannot parse object: cannot find opening \'\\"\\" for object key; '
            'unparsed tail: \\"x}\\"',
        ),
        (b"[] []", 'unexpected tail: \\"[]\\"'),
        (
            b"not json",
            'cannot parse JSON: unexpected value found: \\"not json\\"; unparsed tail: \\"not json\\"',
        ),
        (
            b"xyz",
            'cannot parse JSON: cannot parse number: unexpected char: \\"x\\"; unparsed tail: \\"xyz\\"',
        ),
    ],
)
def test_unparsable_body_is_400_with_fastjson_message(api: Api, body: bytes, message: str) -> None:
    response = api.post("/api/v4/event", data=body)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == JSON_UTF8
    assert response.content == b'{"error":"' + message.encode() + b'"}'


@pytest.mark.parametrize("body", [b'"text"', b"12", b"null", b"true", b"1.5"])
def test_scalar_body_is_400(api: Api, body: bytes) -> None:
    response = api.post("/api/v4/event", data=body)
    assert response.status_code == 400
    assert response.content == b'{"error":"the body should be an object or an array"}'


def test_content_type_is_not_checked(api: Api) -> None:
    response = api.post("/api/v4/event", data=b"[]", headers={"Content-Type": "text/plain"})
    assert response.content == EMPTY_RESPONSE


FAILING = [
    ("missing event_type", {"connector": "c", "connector_name": "cn", "component": "h"}),
    ("non-string event_type", {"event_type": 3, "connector": "c", "connector_name": "cn", "component": "h"}),
    (
        "check without state",
        {"event_type": "check", "connector": "c", "connector_name": "cn", "component": "h"},
    ),
    ("non-numeric state", check("h", state="two")),
    ("float string state", check("h", state="2.0")),
    ("bool state", check("h", state=True)),
    ("null state", check("h", state=None)),
    ("non-string author", check("h", author=5)),
    ("null author", check("h", author=None)),
    ("non-string user_id", check("h", user_id=["x"])),
    ("missing connector", {"event_type": "check", "connector_name": "cn", "component": "h", "state": 1}),
    ("empty connector_name", check("h", connector_name="")),
    ("non-string component", check(5)),  # type: ignore[arg-type]
    ("non-string resource", check("h", resource=1)),
    ("non-string source_type", check("h", source_type=1)),
    ("check on a connector", {"event_type": "check", "connector": "c", "connector_name": "cn", "state": 1}),
]


@pytest.mark.parametrize(("label", "event"), FAILING, ids=[label for label, _ in FAILING])
def test_per_event_failures(api: Api, sandbox: Sandbox, label: str, event: dict[str, Any]) -> None:
    data = post(api, [event])
    assert data["sent_events"] == []
    assert len(data["failed_events"]) == 1
    assert sandbox.alarms(None) == []


def test_non_object_array_elements_fail_unchanged(api: Api) -> None:
    data = post(api, [5, "x", None, [1]])
    assert data == {"sent_events": [], "failed_events": [5, "x", None, [1]], "retry_events": []}


def test_failed_events_carry_the_earlier_mutations_and_keep_order(api: Api) -> None:
    events = [
        check("h1", state="1"),
        check("h2", state="bad"),
        check("h3", connector=""),
        check("h4", state=3),
    ]
    data = post(api, events)
    assert [e["component"] for e in data["sent_events"]] == ["h1", "h4"]
    assert [e["component"] for e in data["failed_events"]] == ["h2", "h3"]
    # h3 failed at the connector rule, after state normalisation and author/user_id
    h3 = data["failed_events"][1]
    assert h3["state"] == 2 and h3["author"] == "root" and h3["user_id"] == "root"
    # h2 failed at the state rule: nothing after it was applied
    assert "author" not in data["failed_events"][0]


def test_mutations(api: Api) -> None:
    events = [
        check("h1", "cpu", state="+3", source_type="component", long_output=12),
        check("h2", state=1, author="", user_id=""),
        check("h3", state=1, author="alice", user_id="u-alice"),
        check("h4", resource="", state=1, source_type="resource"),
        {"event_type": "check", "connector": "c", "connector_name": "cn", "component": "h5", "state": 0},
        action("ack", "h1", "cpu"),
    ]
    sent = post(api, events)["sent_events"]
    assert sent[0]["state"] == 3 and sent[0]["source_type"] == "resource" and sent[0]["long_output"] == ""
    assert (sent[1]["author"], sent[1]["user_id"]) == ("root", "root")
    assert (sent[2]["author"], sent[2]["user_id"]) == ("alice", "u-alice")
    assert sent[3]["source_type"] == "component"  # an empty resource is no resource
    assert sent[4]["source_type"] == "component"  # added when absent
    assert "role" not in sent[0]
    assert sent[5]["role"] == "admin"  # user-action types get the user's role


def test_float_state_passes_the_api(api: Api, sandbox: Sandbox) -> None:
    sent = post(api, [check("h1", state=2.7)])["sent_events"]
    assert sent[0]["state"] == 2.7
    assert sandbox.alarms()[0]["v"]["state"]["val"] == 2


def test_received_and_published_journals(api: Api, sandbox: Sandbox) -> None:
    raw = check("h1", state="2")
    post(api, [raw, {"event_type": 1}])
    assert sandbox.received_events() == [raw, {"event_type": 1}]
    published = sandbox.published_events()
    assert published[0]["state"] == 2 and published[0]["author"] == "root"
    assert sandbox.failed_events() == [{"event_type": 1}]
    assert sandbox.counters()["events_received"] == 2


DROPPED_LATER = [
    ("unknown type", action("foo", "h1"), "invalid event type 'foo'"),
    ("declareticket since 23.04", action("declareticket", "h1"), "invalid event type 'declareticket'"),
    ("output not a string", check("h1", output=5), "cannot decode event: output is not a string"),
    (
        "timestamp as string",
        check("h1", timestamp="1700000000"),
        "cannot decode event: timestamp is not a number",
    ),
    (
        "tags not a map of strings",
        check("h1", tags={"a": 1}),
        "cannot decode event: tags is not a map of strings",
    ),
    ("perf_data not a string", check("h1", perf_data=[1]), "cannot decode event: perf_data is not a string"),
    (
        "ref_rk without connector",
        {"event_type": "check", "ref_rk": "cpu/h1", "state": 2},
        "missing connector",
    ),
]


@pytest.mark.parametrize(("label", "event", "reason"), DROPPED_LATER, ids=[x[0] for x in DROPPED_LATER])
def test_accepted_then_dropped_by_the_engines(
    api: Api, sandbox: Sandbox, label: str, event: dict[str, Any], reason: str
) -> None:
    data = post(api, [event])
    assert len(data["sent_events"]) == 1 and data["failed_events"] == []
    dropped = sandbox.dropped_events()
    assert [d["reason"] for d in dropped] == [reason]
    assert dropped[0]["event"] == data["sent_events"][0]
    assert sandbox.alarms(None) == []


def test_non_check_event_for_an_unknown_entity_is_dropped(api: Api, sandbox: Sandbox) -> None:
    post(api, [action("ack", "ghost", "cpu")])
    assert [d["reason"] for d in sandbox.dropped_events()] == ["entity 'cpu/ghost' doesn't exist"]


def test_ref_rk_bypasses_the_entity_checks(api: Api, sandbox: Sandbox) -> None:
    event = {
        "event_type": "check",
        "ref_rk": "cpu/h1",
        "state": 2,
        "connector": "c",
        "connector_name": "cn",
        "component": "h1",
        "resource": "cpu",
        "source_type": "resource",
    }
    data = post(api, [event])
    assert data["sent_events"][0]["source_type"] == "resource"
    assert [a["entity"]["_id"] for a in sandbox.alarms()] == ["cpu/h1"]


def test_timestamp_far_away_is_replaced_by_now(api: Api, sandbox: Sandbox) -> None:
    now = int(sandbox.clock.now())
    post(api, [check("h1", timestamp=now - 100), check("h2", timestamp=1000), check("h3")])
    by_component = {a["v"]["component"]: a for a in sandbox.alarms()}
    assert by_component["h1"]["t"] == now - 100
    assert abs(by_component["h2"]["t"] - now) <= 2
    assert abs(by_component["h3"]["t"] - now) <= 2


def test_no_limit_on_the_number_of_events(api: Api, sandbox: Sandbox) -> None:
    # /bulk/* stops at 10000 items; /event has no such limit.
    data = post(api, [check(f"h{i}", state=1) for i in range(10001)])
    assert len(data["sent_events"]) == 10001
    assert sandbox.summary()["alarms_open"] == 10001


def test_lenient_fastjson_values_do_not_break_the_engines(api: Api, sandbox: Sandbox) -> None:
    body = b'[{"event_type":"check","connector":"c","connector_name":"cn","component":"h1","state":NaN}]'
    response = api.post("/api/v4/event", data=body)
    assert response.status_code == 200
    assert len(response.json()["sent_events"]) == 1
    assert [d["reason"] for d in sandbox.dropped_events()] == ["cannot decode event: state is not a number"]
    assert sandbox.alarms(None) == []


def test_chunked_request_body(api: Api, sandbox: Sandbox) -> None:
    chunks = (part for part in (b"[", orjson.dumps(check("h1")), b",", orjson.dumps(check("h2")), b"]"))
    response = api.post("/api/v4/event", data=chunks)
    assert response.status_code == 200
    assert len(response.json()["sent_events"]) == 2


def test_keep_alive_and_concurrent_clients(sandbox: Sandbox) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=10)
    for i in range(3):
        conn.request(
            "POST",
            "/api/v4/event",
            body=orjson.dumps([check(f"k{i}")]),
            headers={"x-canopsis-authkey": AUTHKEY},
        )
        response = conn.getresponse()
        assert response.status == 200 and not response.will_close
        response.read()
    conn.close()

    def worker(n: int) -> None:
        client = Api(sandbox.url)
        for j in range(10):
            client.events([check(f"t{n}-{j}", state=1), check(f"t{n}-{j}", state=2)])

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sandbox.counters()["events_received"] == 3 + 80
    assert len([a for a in sandbox.alarms() if a["v"]["component"].startswith("t")]) == 40
