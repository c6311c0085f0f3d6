"""Every Broker event type, by name and by (category, element), for BBDO 2 and BBDO 3.

An :class:`Element` is one event type on the wire. Its ``kind`` is the generic name users write in
``accepted_elements`` and format files: ``host_status`` is the kind of both ``host_status`` (1:14,
BBDO 2) and ``pb_host_status`` (1:32, BBDO 3), so one name covers both protocol versions.
Numbers come from Broker's ``bbdo/events.hh`` (reference/bbdo.md 3.1 and 4.2).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

CATEGORIES: dict[str, int] = {
    "neb": 1,
    "bbdo": 2,
    "storage": 3,
    "correlation": 4,
    "dumper": 5,
    "bam": 6,
    "extcmd": 7,
    "generator": 8,
    "local": 9,
    "internal": 65535,
}
CATEGORY_NAMES: dict[int, str] = {number: name for name, number in CATEGORIES.items()}

# BBDO 2 ("mapped") elements.
_NEB_V2 = [
    "acknowledgement",
    "comment",
    "custom_variable",
    "custom_variable_status",
    "downtime",
    "event_handler",
    "flapping_status",
    "host_check",
    "host_dependency",
    "host_group",
    "host_group_member",
    "host",
    "host_parent",
    "host_status",
    "instance",
    "instance_status",
    "log_entry",
    "module",
    "service_check",
    "service_dependency",
    "service_group",
    "service_group_member",
    "service",
    "service_status",
    "instance_configuration",
    "responsive_instance",
]
_BAM_V2 = {
    "ba_status": 1,
    "kpi_status": 2,
    "meta_service_status": 3,
    "ba_event": 4,
    "kpi_event": 5,
    "ba_duration_event": 6,
    "dimension_ba_event": 7,
    "dimension_kpi_event": 8,
    "dimension_ba_bv_relation_event": 9,
    "dimension_bv_event": 10,
    "dimension_truncate_table_signal": 11,
    "rebuild": 12,
    "dimension_timeperiod": 13,
    "dimension_ba_timeperiod_relation": 14,
    "inherited_downtime": 17,
}
# BBDO 3 (protobuf) elements; 43 is unused in the release branches.
_NEB_V3 = {
    "pb_service": 27,
    "pb_adaptive_service": 28,
    "pb_service_status": 29,
    "pb_host": 30,
    "pb_adaptive_host": 31,
    "pb_host_status": 32,
    "pb_severity": 33,
    "pb_tag": 34,
    "pb_comment": 35,
    "pb_downtime": 36,
    "pb_custom_variable": 37,
    "pb_custom_variable_status": 38,
    "pb_host_check": 39,
    "pb_service_check": 40,
    "pb_log_entry": 41,
    "pb_instance_status": 42,
    "pb_instance": 44,
    "pb_acknowledgement": 45,
    "pb_responsive_instance": 46,
    "pb_host_dependency": 47,
    "pb_service_dependency": 48,
    "pb_host_group": 49,
    "pb_host_group_member": 50,
    "pb_service_group": 51,
    "pb_service_group_member": 52,
    "pb_host_parent": 53,
    "pb_instance_configuration": 54,
    "pb_adaptive_service_status": 55,
    "pb_adaptive_host_status": 56,
    "pb_agent_stats": 57,
}
_BAM_V3 = {
    "pb_inherited_downtime": 18,
    "pb_ba_status": 19,
    "pb_ba_event": 20,
    "pb_kpi_event": 21,
    "pb_dimension_bv_event": 22,
    "pb_dimension_ba_bv_relation_event": 23,
    "pb_dimension_timeperiod": 24,
    "pb_dimension_ba_event": 25,
    "pb_dimension_kpi_event": 26,
    "pb_kpi_status": 27,
    "pb_ba_duration_event": 28,
    "pb_dimension_ba_timeperiod_relation": 29,
    "pb_dimension_truncate_table_signal": 30,
    "pb_services_book_state": 31,
}
_BBDO_CONTROL = {
    "version_response": (1, 2),
    "ack": (2, 2),
    "stop": (3, 2),
    "welcome": (7, 3),
    "pb_ack": (8, 3),
    "pb_stop": (9, 3),
}


@dataclass(frozen=True, slots=True)
class Element:
    """One event type on the wire."""

    category: int
    element: int
    name: str  # exact name: "host_status", "pb_host_status"
    kind: str  # generic name shared by the BBDO 2 and BBDO 3 forms: "host_status"
    bbdo: int  # 2 for mapped events, 3 for protobuf ones

    @property
    def type_id(self) -> int:
        return self.category << 16 | self.element

    @property
    def category_name(self) -> str:
        return CATEGORY_NAMES.get(self.category, str(self.category))

    def __str__(self) -> str:
        return f"{self.name} ({self.category}:{self.element})"


def type_id(category: int, element: int) -> int:
    """Broker's ``_type``: ``category << 16 | element``."""
    return category << 16 | element


class UnknownElementError(ValueError):
    """A name in accepted_elements, a format file or a plugin is not a known element."""


class ElementRegistry:
    """Looks elements up by type id, by exact name and by kind."""

    def __init__(self, elements: Iterable[Element] = ()) -> None:
        self.by_type: dict[int, Element] = {}
        self.by_name: dict[tuple[int, str], Element] = {}
        self.kinds: dict[tuple[int, str], list[Element]] = {}
        for element in elements:
            self.add(element)

    def add(self, element: Element) -> None:
        """Registers an element; a plugin may add one Broker learnt after this release."""
        known = self.by_type.get(element.type_id)
        if known is not None and known != element:
            raise ValueError(f"element {element} conflicts with {known}")
        self.by_type[element.type_id] = element
        self.by_name[element.category, element.name] = element
        members = self.kinds.setdefault((element.category, element.kind), [])
        if element not in members:
            members.append(element)

    def get(self, category: int, element: int) -> Element | None:
        return self.by_type.get(category << 16 | element)

    def resolve(self, category: int, name: str) -> list[Element]:
        """Elements a user-facing name stands for in one category.

        A kind ("host_status") stands for every protocol form of it; an exact name
        ("pb_host_status") for that form only.
        """
        exact = self.by_name.get((category, name))
        if exact is not None and exact.name != exact.kind:
            return [exact]
        members = self.kinds.get((category, name))
        if members:
            return list(members)
        if exact is not None:
            return [exact]
        raise UnknownElementError(self._unknown_message(category, name))

    def resolve_any(self, name: str, categories: Iterable[int]) -> list[Element]:
        """Like :meth:`resolve`, across several categories (``accepted_elements`` has no category)."""
        found: list[Element] = []
        for category in categories:
            try:
                found += self.resolve(category, name)
            except UnknownElementError:
                continue
        if not found:
            raise UnknownElementError(self._unknown_message(None, name, categories))
        return found

    def names(self, category: int | None = None) -> list[str]:
        """Every name users may write (kinds and exact names), sorted."""
        names = {
            name
            for (cat, name) in list(self.kinds) + list(self.by_name)
            if category is None or cat == category
        }
        return sorted(names)

    def _unknown_message(self, category: int | None, name: str, categories: Iterable[int] = ()) -> str:
        where = [category] if category is not None else list(categories)
        candidates = sorted({n for cat in where for n in self.names(cat)})
        close = difflib.get_close_matches(name, candidates, n=3)
        scope = ", ".join(CATEGORY_NAMES.get(c, str(c)) for c in where) or "any category"
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        return f"unknown element {name!r} in {scope}{hint}"


def _kind_of(name: str, v2_names: set[str]) -> str:
    """``pb_host_status`` -> ``host_status`` when a BBDO 2 twin exists, else the name itself."""
    if name.startswith("pb_") and name[3:] in v2_names:
        return name[3:]
    return name


def builtin_elements() -> list[Element]:
    elements: list[Element] = []
    neb_v2 = set(_NEB_V2)
    for number, name in enumerate(_NEB_V2, start=1):
        elements.append(Element(1, number, name, name, 2))
    for name, number in _NEB_V3.items():
        elements.append(Element(1, number, name, _kind_of(name, neb_v2), 3))
    bam_v2 = set(_BAM_V2)
    for name, number in _BAM_V2.items():
        elements.append(Element(6, number, name, name, 2))
    for name, number in _BAM_V3.items():
        elements.append(Element(6, number, name, _kind_of(name, bam_v2), 3))
    for name, (number, bbdo) in _BBDO_CONTROL.items():
        elements.append(Element(2, number, name, name.removeprefix("pb_"), bbdo))
    return elements


def default_registry() -> ElementRegistry:
    """A fresh registry with every element this release knows."""
    return ElementRegistry(builtin_elements())


def parse_category_list(value: str) -> list[int]:
    """``"neb,bam"`` -> ``[1, 6]``; raises ValueError naming the unknown category."""
    numbers = []
    for raw in value.split(","):
        name = raw.strip()
        if not name:
            continue
        if name not in CATEGORIES:
            close = difflib.get_close_matches(name, list(CATEGORIES), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"unknown category {name!r} (known: {', '.join(CATEGORIES)}){hint}")
        numbers.append(CATEGORIES[name])
    return numbers
