"""List-route query handling shared by every paginated route (canopsis-api.md 4.1)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from centreon_canopsis.standins.canopsis import responses as r
from centreon_canopsis.standins.canopsis.validation import one_of, parse_bool

DEFAULT_LIMIT = 10


@dataclass
class ListQuery:
    page: int = 1
    limit: int = DEFAULT_LIMIT
    paginate: bool = True
    search: str = ""
    sort: str = ""
    sort_by: str = ""
    with_flags: bool = False


def first(query: Mapping[str, list[str]], key: str) -> str | None:
    values = query.get(key)
    return values[0] if values else None


def parse_list_query(
    query: Mapping[str, list[str]], sort_fields: Sequence[str] = (), default_sort_by: str = ""
) -> ListQuery | r.Response:
    """Reads page/limit/paginate/search/sort/sort_by/with_flags like gin's form binding."""
    out = ListQuery(sort_by=default_sort_by)
    errors: dict[str, str] = {}
    try:
        for key, go_name in (("page", "Page"), ("limit", "Limit")):
            raw = first(query, key)
            if raw is None or raw == "":
                continue
            value = int(raw) if raw.lstrip("+-").isdigit() else _bad()
            if value <= 0:
                errors[key] = f"{go_name} should be greater than 0."
            setattr(out, key, value)
        for key in ("paginate", "with_flags"):
            raw = first(query, key)
            if raw:
                setattr(out, key, parse_bool(raw))
    except ValueError:
        return r.invalid_structure()
    out.search = first(query, "search") or ""
    sort = first(query, "sort") or ""
    if sort and sort not in ("asc", "desc"):
        errors["sort"] = one_of("Sort", ("asc", "desc"))
    out.sort = sort
    sort_by = first(query, "sort_by") or ""
    if sort_by:
        if sort_fields and sort_by not in sort_fields:
            errors["sort_by"] = one_of("SortBy", list(sort_fields))
        out.sort_by = sort_by
    if errors:
        return r.validation_errors(errors)
    return out


def _bad() -> int:
    raise ValueError("not a number")


def search_filter(items: Iterable[dict[str, Any]], text: str, fields: Sequence[str]) -> list[dict[str, Any]]:
    """Case-insensitive substring match over ``fields`` (dotted paths allowed)."""
    items = list(items)
    if not text:
        return items
    needle = text.lower()
    out = []
    for item in items:
        for field in fields:
            value = dig(item, field)
            if isinstance(value, str) and needle in value.lower():
                out.append(item)
                break
    return out


def dig(item: Mapping[str, Any], path: str) -> Any:
    value: Any = item
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def sort_items(
    items: list[dict[str, Any]], sort_by: str, descending: bool, key: Callable[[Any], Any] | None = None
) -> list[dict[str, Any]]:
    """Stable sort on a dotted field; missing values sort first (like MongoDB's nulls)."""

    def sort_key(item: dict[str, Any]) -> tuple[int, Any]:
        value = dig(item, sort_by) if key is None else key(item)
        if value is None:
            return (0, "")
        if isinstance(value, bool):
            return (1, int(value))
        if isinstance(value, (int, float)):
            return (1, value)
        return (2, str(value))

    return sorted(items, key=sort_key, reverse=descending)


def page_of(items: Sequence[Any], q: ListQuery) -> dict[str, Any]:
    """``{"data": [...], "meta": {page, per_page, page_count, total_count}}``."""
    total = len(items)
    if not q.paginate:
        return {
            "data": list(items),
            "meta": {"page": 1, "per_page": total, "page_count": 1, "total_count": total},
        }
    start = (q.page - 1) * q.limit
    data = list(items[start : start + q.limit])
    return {
        "data": data,
        "meta": {
            "page": q.page,
            "per_page": q.limit,
            "page_count": max(1, math.ceil(total / q.limit)),
            "total_count": total,
        },
    }
