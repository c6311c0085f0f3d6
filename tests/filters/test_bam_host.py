"""enable_bam_host: events of BAM's virtual hosts, and the BA name as their component."""

from __future__ import annotations

import pytest

from centreon_canopsis.core.events import check_event
from centreon_canopsis.plugins.builtin.mapping import ba_name_of_service
from tests.filters.harness import BA_SERVICE, BAM_HOST, MAIL_BA, SRV

R = "enable_bam_host"

CASES = [
    ({}, lambda h: h.host_status(BAM_HOST), R),
    ({}, lambda h: h.service_status(BAM_HOST, BA_SERVICE), R),
    ({}, lambda h: h.acknowledgement(BAM_HOST, BA_SERVICE), R),
    ({}, lambda h: h.downtime(BAM_HOST, BA_SERVICE), R),
    ({}, lambda h: h.downtime(BAM_HOST), R),
    ({}, lambda h: h.host_status(SRV), None),
    ({}, lambda h: h.ba_status(MAIL_BA), None),
    ({"enable_bam_host": 1}, lambda h: h.host_status(BAM_HOST), None),
    ({"enable_bam_host": "1"}, lambda h: h.service_status(BAM_HOST, BA_SERVICE), None),
    ({"enable_bam_host": 1}, lambda h: h.acknowledgement(BAM_HOST, BA_SERVICE), None),
    ({"enable_bam_host": 1}, lambda h: h.downtime(BAM_HOST, BA_SERVICE), None),
]


@pytest.mark.parametrize(("settings", "build", "expected"), CASES)
def test_bam_hosts(harness, settings, build, expected):
    h = harness(**settings)
    assert h.reason(build(h)) == expected


def _payload(h, event):
    element = h.context.registry.by_type[check_event(event)]
    (payload,) = h.context.hook.connector_transform(event=event, element=element, context=h.context)
    return payload.body


def test_the_component_of_a_ba_service_is_the_ba_name(harness):
    # As the Lua connector does (lua-connector.md 4.3 step 2): the host name becomes the BA's.
    h = harness(enable_bam_host=1)
    body = _payload(h, h.service_status(BAM_HOST, BA_SERVICE, state=2))
    assert (body["component"], body["resource"]) == ("Mail BA", "ba_5")
    body = _payload(h, h.acknowledgement(BAM_HOST, BA_SERVICE))
    assert (body["component"], body["resource"]) == ("Mail BA", "ba_5")
    assert _payload(h, h.host_status(BAM_HOST))["component"] == "_Module_BAM_1"


def test_an_unknown_ba_keeps_the_host_name(harness):
    h = harness(enable_bam_host=1)
    h.feed(h.make("service", host_id=BAM_HOST, service_id=101, description="ba_9", enabled=True))
    assert _payload(h, h.service_status(BAM_HOST, 101))["component"] == "_Module_BAM_1"


def test_without_enable_bam_host_names_are_not_changed(harness):
    # A plugin that lets BAM events through (or a third-party filter) keeps the raw names.
    h = harness(plugins={"disable": ["downtime", "bam_host"]})
    assert h.reason(h.service_status(BAM_HOST, BA_SERVICE)) is None
    assert _payload(h, h.service_status(BAM_HOST, BA_SERVICE))["component"] == "_Module_BAM_1"


def test_ba_name_of_service(harness):
    cache = harness().context.cache
    assert ba_name_of_service(cache, {"description": "ba_5"}) == "Mail BA"
    assert ba_name_of_service(cache, {"description": "ba_x"}) is None
    assert (
        ba_name_of_service(cache, {"description": "BA svc", "type": 3, "internal_id": MAIL_BA}) == "Mail BA"
    )
    assert ba_name_of_service(cache, {"description": "ba_77"}) is None
    assert ba_name_of_service(cache, None) is None
