"""A simulated Broker stream, over BBDO, through the connector and a real RabbitMQ into the
sandbox: the same alarms as over HTTP (the done-when of issue 13)."""

from __future__ import annotations

from centreon_canopsis.standins.demo import DemoOptions, run_demo


def alarm_view(alarms: list[dict]) -> list[tuple]:
    return sorted(
        (
            alarm["entity"]["_id"],
            alarm["v"]["state"]["val"],
            alarm["v"]["status"]["val"],
            (alarm["v"].get("ack") or {}).get("a"),
            alarm["v"]["output"],
            bool(alarm["v"].get("pbehavior_info")),
        )
        for alarm in alarms
    )


def test_the_demo_stream_gives_the_same_alarms_through_rabbitmq(amqp_url):
    options = dict(hosts=15, services_per_host=4, events=3000, seed=7)
    over_http = run_demo(DemoOptions(**options))
    over_amqp = run_demo(DemoOptions(**options, transport="amqp", amqp_url=amqp_url))
    assert over_http.ok and over_amqp.ok
    assert over_amqp.sandbox_summary["counters"]["amqp_messages"] > 0
    assert over_amqp.sandbox_summary["counters"].get("events_received", 0) == 0  # none over HTTP
    assert alarm_view(over_amqp.alarms) == alarm_view(over_http.alarms)
    assert over_amqp.matching_problems == over_http.matching_problems
