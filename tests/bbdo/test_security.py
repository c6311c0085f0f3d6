"""Only the Brokers the connector serves get events in: client certificates, names, allow-list,
and TLS with verification of Broker's certificate in connect mode. Real TLS on loopback."""

from __future__ import annotations

import logging
import ssl
import time
from pathlib import Path

import pytest

from centreon_canopsis.core.bbdo.peers import AllowList, certificate_names, exposure_problem
from centreon_canopsis.standins.broker.hostile import send_bytes
from centreon_canopsis.standins.broker.peer import BrokerPeer

from .conftest import PKI, wait_until

EVENTS = [{"category": 1, "element": 29, "host_id": i, "service_id": 1, "output": "OK"} for i in range(1, 51)]


def ids(collector) -> list[int]:
    return [event["host_id"] for event in collector.events]


IDS = [event["host_id"] for event in EVENTS]


def client_context(pki: PKI, cert: tuple[Path, Path] | None) -> ssl.SSLContext:
    """What a Broker output with encryption on uses: our CA to check the connector, maybe a certificate."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(pki.ca)
    if cert is not None:
        ctx.load_cert_chain(*cert)
    return ctx


def verifying_source(make_source, pki: PKI, **extra):
    cert, key = pki.server
    return make_source(tls_cert=str(cert), tls_key=str(key), tls_ca=str(pki.ca), **extra)


def refused(port: int, tls: ssl.SSLContext | None) -> BrokerPeer:
    """A Broker that keeps trying for a second (its TLS handshake may succeed before the
    connector checks its certificate, so it would retry for ever): none of its events may count."""
    peer = BrokerPeer(EVENTS, port=port, tls_context=tls, reconnect_timeout=1.0, retry_interval=0.2).start()
    time.sleep(1.0)
    peer.close()
    report = peer.join(10)
    assert not report.complete and report.acknowledged == 0
    return peer


def test_a_certificate_from_the_configured_ca_gets_in(make_source, pki: PKI) -> None:
    source, collector = verifying_source(make_source, pki)
    report = BrokerPeer(EVENTS, port=source.address[1], tls_context=client_context(pki, pki.client)).run()
    assert report.complete and report.stop_acknowledged
    assert ids(collector) == IDS
    assert source.counters["tls_rejections"] == 0


@pytest.mark.parametrize("who", ["no certificate", "another CA", "no TLS at all"])
def test_peers_without_an_acceptable_certificate_get_no_event_in(
    make_source, pki: PKI, who: str, caplog: pytest.LogCaptureFixture
) -> None:
    source, collector = verifying_source(make_source, pki)
    tls = {
        "no certificate": client_context(pki, None),
        "another CA": client_context(pki, pki.other_client),
        "no TLS at all": None,
    }[who]
    with caplog.at_level(logging.WARNING):
        refused(source.address[1], tls)
    wait_until(lambda: source.counters["active_peers"] == 0, what="the peer dropped")
    assert collector.events == [] and collector.batches == []
    assert source.counters["events_received"] == 0
    assert source.counters["tls_rejections"] >= 1
    assert source.closed_by_reason["tls_rejected"] >= 1
    assert any("127.0.0.1" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    # and the right Broker still gets in
    good = BrokerPeer(EVENTS, port=source.address[1], tls_context=client_context(pki, pki.client)).run()
    assert good.complete and ids(collector) == IDS


def test_tls_peer_names_restrict_certificates_of_the_right_ca(make_source, pki: PKI) -> None:
    source, collector = verifying_source(make_source, pki, tls_peer_names=["poller-7"])
    refused(source.address[1], client_context(pki, pki.client))  # CN central-broker: not listed
    assert collector.events == [] and source.closed_by_reason["tls_rejected"] >= 1
    source, collector = verifying_source(make_source, pki, tls_peer_names=["poller-7", "central-broker"])
    assert (
        BrokerPeer(EVENTS, port=source.address[1], tls_context=client_context(pki, pki.client)).run().complete
    )
    assert ids(collector) == IDS


def test_a_peer_outside_the_allow_list_is_closed_before_the_handshake(
    make_source, caplog: pytest.LogCaptureFixture
) -> None:
    source, collector = make_source(allowed_peers=["10.1.2.0/24", "192.0.2.7"])
    with caplog.at_level(logging.WARNING):
        peer = refused(source.address[1], None)
        for _ in range(30):  # counted every time, logged a few times a minute
            send_bytes(source.address, b"\x00" * 10)
    assert peer.report.welcomes == []  # never answered
    wait_until(lambda: source.closed_by_reason["not_allowed"] >= 31, what="every refusal counted")
    assert collector.events == [] and source.counters["handshakes"] == 0
    lines = [r.getMessage() for r in caplog.records if "allowed_peers" in r.getMessage()]
    assert lines and all("127.0.0.1:" in line for line in lines)
    assert len(lines) <= 6  # rate-limited
    source, collector = make_source(allowed_peers=["127.0.0.0/8"])
    assert BrokerPeer(EVENTS, port=source.address[1]).run().complete


def test_allow_list_entries() -> None:
    allowed = AllowList(["10.1.2.0/24", "2001:db8::/32", "192.0.2.7"])
    assert allowed.allows("10.1.2.200") and allowed.allows("::ffff:10.1.2.3") and allowed.allows("192.0.2.7")
    assert allowed.allows("2001:db8::1")
    assert not allowed.allows("10.1.3.1") and not allowed.allows("192.0.2.8") and not allowed.allows("junk")
    assert AllowList([]).allows("203.0.113.9")
    with pytest.raises(ValueError, match=r"'10\.1\.2\.0/33'"):
        AllowList(["10.1.2.0/33"])


def test_certificate_names_read_cn_and_sans() -> None:
    cert = {
        "subject": ((("commonName", "central"),),),
        "subjectAltName": (("DNS", "central.example.com"), ("IP Address", "10.1.2.3")),
    }
    assert certificate_names(cert) == {"central", "central.example.com", "10.1.2.3"}


@pytest.mark.parametrize(
    ("source", "exposed"),
    [
        ({"host": "127.0.0.1"}, False),
        ({"host": "::1"}, False),
        ({"host": "localhost"}, False),
        ({"host": "0.0.0.0"}, True),
        ({"host": "central.example.com"}, True),
        ({"host": "0.0.0.0", "allowed_peers": ["10.1.2.3"]}, False),
        ({"host": "0.0.0.0", "tls_ca": "ca.pem"}, False),
        ({"host": "0.0.0.0", "mode": "connect"}, False),
    ],
)
def test_exposed_listeners(source: dict, exposed: bool) -> None:
    assert (exposure_problem({"type": "bbdo", **source}) is not None) == exposed


def broker_server(pki: PKI, cert: tuple[Path, Path], **kwargs) -> BrokerPeer:
    """Broker's bbdo_server output with encryption: the TLS server side, with its certificate."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*cert)
    return BrokerPeer(EVENTS, mode="server", tls_context=ctx, reconnect_timeout=3.0, **kwargs)


def test_connect_mode_verifies_brokers_certificate(make_source, pki: PKI) -> None:
    broker = broker_server(pki, pki.server).start()
    source, collector = make_source(mode="connect", host="127.0.0.1", port=broker.port, tls_ca=str(pki.ca))
    report = broker.join(20)
    assert report.complete and ids(collector) == IDS
    assert source.counters["tls_rejections"] == 0


def test_connect_mode_refuses_a_broker_certificate_from_another_ca(make_source, pki: PKI) -> None:
    broker = broker_server(pki, pki.other_client).start()
    source, collector = make_source(
        mode="connect", host="127.0.0.1", port=broker.port, tls_ca=str(pki.ca), reconnect_min_delay=0.1
    )
    wait_until(lambda: source.counters["tls_rejections"] >= 1, what="a rejected Broker certificate")
    broker.close()
    assert collector.events == []


def test_connect_mode_checks_the_host_name_or_tls_peer_names(make_source, pki: PKI) -> None:
    # pki.client is from the right CA but names "central-broker", not 127.0.0.1
    broker = broker_server(pki, pki.client).start()
    source, collector = make_source(
        mode="connect", host="127.0.0.1", port=broker.port, tls_ca=str(pki.ca), reconnect_min_delay=0.1
    )
    wait_until(lambda: source.counters["tls_rejections"] >= 1, what="a host name mismatch")
    assert collector.events == []
    source.close()
    broker.close()
    broker = broker_server(pki, pki.client).start()
    source, collector = make_source(
        mode="connect",
        host="127.0.0.1",
        port=broker.port,
        tls_ca=str(pki.ca),
        tls_peer_names=["central-broker"],
    )
    assert broker.join(20).complete and ids(collector) == IDS


def test_connect_mode_refuses_a_broker_without_tls(make_source, pki: PKI) -> None:
    broker = BrokerPeer(EVENTS, mode="server", reconnect_timeout=3.0).start()
    source, collector = make_source(
        mode="connect", host="127.0.0.1", port=broker.port, tls_ca=str(pki.ca), reconnect_min_delay=0.1
    )
    wait_until(lambda: source.closed_by_reason["tls_rejected"] >= 1, what="a Broker without TLS refused")
    broker.close()
    assert collector.events == []
