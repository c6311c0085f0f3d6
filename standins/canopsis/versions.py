"""What differs between the Canopsis lines the sandbox emulates (canopsis-api.md section 6)."""

from __future__ import annotations

import re
from dataclasses import dataclass

SUPPORTED_LINES: tuple[str, ...] = ("22.10", "23.04", "23.10", "24.04", "24.10")

_VERSION_RE = re.compile(r"^(\d\d\.\d\d)(?:\.(\d+))?$")

# Event types whose `state` the API checks and normalises (2.3 step 2).
_STATE_TYPES_BASE = frozenset({"check", "changestate", "metaalarm", "junittestsuiteupdated"})

# Event types that get the user's `role` added by the API (2.3 step 3).
_ROLE_TYPES_BASE = frozenset(
    {"ack", "ackremove", "cancel", "uncancel", "comment", "assocticket", "changestate", "snooze"}
)
_ROLE_TYPES_2304 = frozenset({"keepstate", "statusinc", "statusdec", "stateinc", "statedec"})
_ROLE_TYPES_2210 = frozenset({"declareticket", "done"})

# Event types engine-fifo accepts (2.4); anything else is dropped after a 200.
_FIFO_TYPES_BASE = frozenset(
    {
        "check",
        "ack",
        "ackremove",
        "assocticket",
        "cancel",
        "uncancel",
        "comment",
        "changestate",
        "snooze",
        "unsnooze",
        "activate",
        "declareticketwebhook",
        "resolve_cancel",
        "resolve_close",
        "resolve_deleted",
        "pbhenter",
        "pbhleave",
        "pbhleaveandenter",
        "updatestatus",
        "metaalarm",
        "metaalarmupdated",
        "metaalarmattachchildren",
        "metaalarmdetachchildren",
        "recomputeentityservice",
        "entityupdated",
        "entitytoggled",
        "noevents",
        "run_delayed_scenario",
        "instructionstarted",
        "instructionpaused",
        "instructionresumed",
        "instructioncompleted",
        "instructionaborted",
        "instructionfailed",
        "autoinstructionstarted",
        "autoinstructioncompleted",
        "autoinstructionfailed",
        "autoinstructionalreadyrunning",
        "instructionjobstarted",
        "instructionjobcompleted",
        "instructionjobfailed",
        "junittestsuiteupdated",
        "junittestcaseeupdated",
        "trigger",
        "autoinstructionactivate",
        "metaalarmchildactivate",
        "metaalarmchilddeactivate",
    }
)
_FIFO_TYPES_2304 = frozenset(
    {"keepstate", "perf", "stateinc", "statedec", "statusinc", "statusdec", "alarmskipped"}
)


@dataclass(frozen=True)
class VersionProfile:
    """Feature switches of one Canopsis line; ``full`` is what app-info reports."""

    line: str
    full: str

    @property
    def _key(self) -> tuple[int, int]:
        year, month = self.line.split(".")
        return int(year), int(month)

    def at_least(self, line: str) -> bool:
        year, month = line.split(".")
        return self._key >= (int(year), int(month))

    # --- pbehaviors, reasons, types -------------------------------------------------------
    @property
    def pbehavior_color_required(self) -> bool:
        return self.line == "22.10"

    @property
    def type_has_color(self) -> bool:
        return self.at_least("23.04")

    @property
    def has_hidden(self) -> bool:
        return self.at_least("23.04")

    @property
    def hidden_always(self) -> bool:
        """24.10 always returns ``hidden``; 23.04-24.04 omit it when false."""
        return self.at_least("24.10")

    @property
    def catalog_author(self) -> bool:
        """Reasons and types carry ``author``/``created``/``updated`` from 24.10."""
        return self.at_least("24.10")

    @property
    def type_priority_unique(self) -> bool:
        return self.line == "22.10"

    # --- routes and modes --------------------------------------------------------------------
    @property
    def bulk_entity_pbehaviors(self) -> bool:
        return self.at_least("23.04")

    @property
    def bulk_connector_pbehaviors(self) -> bool:
        """In the 24.04 branch; Centreon's documentation names 24.04.8 as the first release."""
        if self.line == "24.04":
            return int(self.full.split(".")[2]) >= 8
        return self.at_least("24.04")

    @property
    def maintenance(self) -> bool:
        return self.at_least("23.10")

    @property
    def multiple_roles(self) -> bool:
        return self.at_least("23.10")

    # --- /event -----------------------------------------------------------------------------
    @property
    def state_types(self) -> frozenset[str]:
        if self.line == "22.10":
            return _STATE_TYPES_BASE | {"keepstate", "statstateinterval"}
        if self.line == "23.04":
            return _STATE_TYPES_BASE | {"keepstate"}
        return _STATE_TYPES_BASE

    @property
    def zero_state_rejected_types(self) -> frozenset[str]:
        """changestate/keepstate with state 0 fail at the API before 23.10 (unless the UI flag)."""
        if self.at_least("23.10"):
            return frozenset()
        return frozenset({"changestate", "keepstate"})

    @property
    def role_types(self) -> frozenset[str]:
        if self.line == "22.10":
            return _ROLE_TYPES_BASE | _ROLE_TYPES_2304 | _ROLE_TYPES_2210
        if self.line == "23.04":
            return _ROLE_TYPES_BASE | _ROLE_TYPES_2304
        return _ROLE_TYPES_BASE

    @property
    def fifo_types(self) -> frozenset[str]:
        if self.line == "22.10":
            return _FIFO_TYPES_BASE | _FIFO_TYPES_2304 | {"declareticket", "done"}
        if self.line == "23.04":
            return _FIFO_TYPES_BASE | _FIFO_TYPES_2304
        return _FIFO_TYPES_BASE


def parse_version(value: str) -> VersionProfile:
    """Accepts a line ("24.04") or a full version ("24.04.3"); anything else is a ValueError."""
    match = _VERSION_RE.match(str(value).strip())
    if not match or match.group(1) not in SUPPORTED_LINES:
        raise ValueError(
            f"unsupported Canopsis version {value!r}; expected one of {', '.join(SUPPORTED_LINES)}"
            " (optionally with a patch number, e.g. 24.04.3)"
        )
    line, patch = match.group(1), match.group(2)
    return VersionProfile(line=line, full=f"{line}.{patch if patch is not None else 0}")
