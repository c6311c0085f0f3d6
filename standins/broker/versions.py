"""Which form (BBDO 2 mapped or BBDO 3 protobuf) each event takes, per Broker version.

This is table 3.3 of reference/bbdo.md: cbmod registers one callback table per BBDO major, and
with BBDO 3 the set of protobuf events grew release by release. Severities are protobuf whatever
the BBDO version (cbmod's BBDO 2 callback table has the severity callback too), and BAM builds
only protobuf ``pb_ba_status`` and dimension events from 23.04 on.
"""

from __future__ import annotations

from dataclasses import dataclass

BROKER_VERSIONS: tuple[str, ...] = ("22.10", "23.04", "23.10", "24.04", "24.10")

#: What ``pb_instance.version`` says for each release (a plausible patch level of that branch).
ENGINE_VERSIONS: dict[str, str] = {
    "22.10": "22.10.14",
    "23.04": "23.04.19",
    "23.10": "23.10.16",
    "24.04": "24.04.9",
    "24.10": "24.10.4",
}


@dataclass(frozen=True, slots=True)
class Forms:
    """True where the event family is sent in protobuf form."""

    bbdo: int
    broker_version: str
    host: bool  # host / service configuration
    status: bool  # host / service status
    adaptive_status: bool  # attribute-only changes as pb_adaptive_*_status (24.04+)
    acknowledgement: bool
    downtime: bool
    instance: bool  # instance and instance_status
    custom_variable: bool
    group: bool  # host/service groups and their members
    ba: bool  # ba_status and the BAM dimension events


def forms_for(bbdo: int, broker_version: str) -> Forms:
    """The event forms a ``broker_version`` Broker emits when configured with ``bbdo`` 2 or 3."""
    if bbdo not in (2, 3):
        raise ValueError(f"bbdo must be 2 or 3, not {bbdo!r}")
    if broker_version not in BROKER_VERSIONS:
        raise ValueError(
            f"broker_version must be one of {', '.join(BROKER_VERSIONS)}, not {broker_version!r}"
        )
    rank = BROKER_VERSIONS.index(broker_version)
    pb = bbdo == 3
    since_2304 = rank >= BROKER_VERSIONS.index("23.04")
    since_2404 = rank >= BROKER_VERSIONS.index("24.04")
    return Forms(
        bbdo=bbdo,
        broker_version=broker_version,
        host=pb,
        status=pb,
        adaptive_status=pb and since_2404,
        acknowledgement=pb and since_2304,
        downtime=pb and since_2304,
        instance=pb and since_2304,
        custom_variable=pb and since_2304,
        group=pb and since_2404,
        ba=since_2304,
    )
