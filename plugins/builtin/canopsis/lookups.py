"""Start-up look-ups for pbehaviors: the reason id, the type id and the Canopsis version.

Pbehaviors need the *ids* of a reason and a type (canopsis-api.md 4.2), which only Canopsis knows.
:class:`PbehaviorLookups` finds them in a background thread, with capped exponential backoff, so
that the connector starts even when Canopsis does not answer; the pbehavior sender fills the ids
in at send time and answers RETRY until they are known, which keeps downtime payloads in the
outbox, in order. Defects of the Lua connector fixed here (lua-connector.md 1.2 step 8, 9.1):

- B20: lists are read whole (``paginate=false``, then page by page if the server ignored it), so
  a reason beyond the first page is found;
- B3: a reason created because it was missing is used at once, with the id Canopsis returns;
- B4: a missing type is an error in the log, repeated with backoff; no pbehavior leaves without
  its type;
- B5: an unknown version breaks nothing: ``color`` is then sent (valid everywhere, required on
  22.10).
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from typing import Any

import requests

from centreon_canopsis.core.logsetup import notice
from centreon_canopsis.plugins.builtin.canopsis.client import CanopsisClient

log = logging.getLogger(__name__)

APP_INFO_ROUTE = "/api/v4/app-info"
#: The colour of Centreon downtimes, sent where Canopsis requires one (22.10).
DOWNTIME_COLOR = "#73D8FF"
REASON_DESCRIPTION = "Centreon downtimes (centreon-canopsis-connector)"
#: Pages read at most when a server ignores ``paginate=false`` (10 000 items at 10 a page).
MAX_PAGES = 1000
#: Look-ups of a reason that Canopsis says exists but does not list (hidden, or no read right).
REASON_ATTEMPTS = 3

_VERSION_RE = re.compile(r"^\s*(\d+)\.(\d+)")


def version_line(version: str | None) -> tuple[int, int] | None:
    """``(24, 4)`` for "24.04.3"; None for anything that is not a version."""
    match = _VERSION_RE.match(version) if isinstance(version, str) else None
    return (int(match.group(1)), int(match.group(2))) if match else None


def needs_color(version: str | None) -> bool:
    """22.10 requires a pbehavior colour; 23.04+ accept one. Unknown: send it, it is valid anywhere."""
    line = version_line(version)
    return line is None or line < (23, 4)


def has_bulk(version: str | None) -> bool:
    """``/bulk/pbehaviors`` exists in every Canopsis API v4 release we know (22.10 onwards).

    An unknown version is tried; the sender falls back to single calls if the route is missing.
    """
    line = version_line(version)
    return line is None or line >= (22, 10)


def version_numbers(version: str | None) -> tuple[int, int, int] | None:
    """``(24, 4, 8)`` for "24.04.8" (patch 0 when absent); None for anything else."""
    match = re.match(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?", version) if isinstance(version, str) else None
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def has_connector_bulk(version: str | None) -> bool:
    """``/bulk/connector-pbehaviors`` (idempotent, comment inline): Canopsis 24.04.8 and later.

    An unknown version does not use it: ``/bulk/pbehaviors`` works everywhere.
    """
    numbers = version_numbers(version)
    return numbers is not None and numbers >= (24, 4, 8)


class LookupFailed(Exception):
    """A look-up did not get its answer; the message says why and what to do."""

    def __init__(self, message: str, *, status: int | None = None, error: bool = True) -> None:
        super().__init__(message)
        self.status = status
        #: False for "Canopsis is not reachable" (a warning: it usually comes back by itself).
        self.error = error


def explain_status(status: int, what: str, route: str, body: Any = None) -> str:
    """A person's explanation of a non-2xx answer to a look-up."""
    if status == 401:
        return f"{what}: HTTP 401 on {route}: the authkey is refused; check canopsis_authkey"
    if status == 403:
        return (
            f"{what}: HTTP 403 on {route}: the authkey's user lacks the API right for this "
            "(Canopsis: Administration > Rights > API, PBehavior section)"
        )
    if status == 404:
        return f"{what}: HTTP 404 on {route}: no such route; check the canopsis_downtime_*_route settings"
    if status == 407:
        return (
            f"{what}: HTTP 407 on {route}: the proxy refused the credentials; "
            "check proxy_username and proxy_password"
        )
    detail = ""
    if isinstance(body, dict):
        detail = f" ({body.get('errors') or body.get('error')})"
    return f"{what}: HTTP {status} on {route}{detail}"


def unreachable(client: CanopsisClient, error: requests.RequestException) -> LookupFailed:
    if isinstance(error, requests.exceptions.ProxyError) and "407" in str(error):
        return LookupFailed(
            f"the proxy refused the credentials for {client.base_url} (HTTP 407): "
            "check proxy_username and proxy_password",
            status=407,
        )
    return LookupFailed(f"Canopsis at {client.base_url} unreachable: {type(error).__name__}", error=False)


def find_by_name(client: CanopsisClient, route: str, name: str, what: str) -> tuple[str | None, list[str]]:
    """The ``_id`` of the item called ``name`` in a list route, and every name seen.

    Asks for everything at once (``paginate=false``, hidden items included); if the server still
    paginates, reads every page. Raises :class:`LookupFailed`.
    """
    params: dict[str, Any] = {"paginate": "false", "with_hidden": "true"}
    seen: list[str] = []
    page = 1
    while True:
        try:
            status, body = client.get_json(route, params)
        except requests.RequestException as error:
            raise unreachable(client, error) from None
        if status != 200:
            raise LookupFailed(explain_status(status, what, route, body), status=status)
        data = body.get("data") if isinstance(body, dict) else body
        if not isinstance(data, list):
            raise LookupFailed(f"{what}: unexpected answer from {route} (no data list)", status=status)
        for item in data:
            if isinstance(item, dict) and item.get("name") == name and item.get("_id"):
                return str(item["_id"]), seen
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                seen.append(item["name"])
        meta = body.get("meta") if isinstance(body, dict) else None
        page_count = meta.get("page_count") if isinstance(meta, dict) else None
        if not isinstance(page_count, int) or page >= page_count or page >= MAX_PAGES or not data:
            return None, seen
        # paginate=false was ignored: walk the pages.
        page += 1
        params = {"page": page, "limit": meta.get("per_page") or len(data), "with_hidden": "true"}


def app_info(client: CanopsisClient) -> tuple[int, Any]:
    """``(status, body)`` of ``GET /api/v4/app-info``; raises requests errors."""
    return client.get_json(APP_INFO_ROUTE)


@dataclass(frozen=True)
class LookupSettings:
    reason_route: str
    reason_name: str
    type_route: str
    type_name: str
    initial_delay: float = 1.0
    max_delay: float = 60.0

    @classmethod
    def from_config(cls, config) -> LookupSettings:
        delivery = config.delivery
        return cls(
            reason_route=config.canopsis_downtime_reason_route,
            reason_name=config.canopsis_downtime_reason_name,
            type_route=config.canopsis_downtime_type_route,
            type_name=config.canopsis_downtime_type_name,
            initial_delay=float(delivery["retry_initial_delay"]),
            max_delay=float(delivery["retry_max_delay"]),
        )


def find_or_create_reason(client: CanopsisClient, settings: LookupSettings) -> tuple[str, bool]:
    """The reason's id, and whether it was created now. Raises :class:`LookupFailed`."""
    route, name = settings.reason_route, settings.reason_name
    what = f"pbehavior reason {name!r}"
    for _ in range(REASON_ATTEMPTS):
        found, _seen = find_by_name(client, route, name, what)
        if found:
            return found, False
        try:
            response = client.request(
                "POST",
                route,
                body={"name": name, "description": REASON_DESCRIPTION},
                headers={"accept": "application/json"},
            )
        except requests.RequestException as error:
            raise unreachable(client, error) from None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.ok and isinstance(answer, dict) and answer.get("_id"):
            return str(answer["_id"]), True
        if response.status_code == 400 and "already exists" in response.text:
            continue  # created meanwhile by another connector: look it up again
        if response.ok:
            continue  # created, but the answer has no id: look it up
        raise LookupFailed(
            explain_status(
                response.status_code, f"{what} is missing and could not be created", route, answer
            ),
            status=response.status_code,
        )
    raise LookupFailed(
        f"{what}: Canopsis says it exists but does not list it on {route}; "
        "check that the authkey's user may read pbehavior reasons"
    )


def find_type(client: CanopsisClient, settings: LookupSettings) -> str:
    """The type's id. Raises :class:`LookupFailed` when it does not exist."""
    route, name = settings.type_route, settings.type_name
    what = f"pbehavior type {name!r}"
    found, seen = find_by_name(client, route, name, what)
    if found:
        return found
    known = ", ".join(repr(n) for n in seen) or "none"
    raise LookupFailed(
        f"{what} does not exist in Canopsis (types found: {known}): set canopsis_downtime_type_name "
        "to one of them, or create the type in Canopsis; downtimes wait in the outbox until then"
    )


class PbehaviorLookups:
    """The ids and version pbehaviors need, found in the background and shared with the sender.

    Published in ``context.state[STATE_KEY]`` by the downtime plugin. Thread-safe.
    """

    STATE_KEY = "pbehavior_lookups"

    def __init__(self, settings: LookupSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._reason_id: str | None = None
        self._type_id: str | None = None
        self._version: str | None = None
        self._version_checked = False
        self._version_warned = False
        self._thread: threading.Thread | None = None
        self._client: CanopsisClient | None = None
        self._stopping: threading.Event | None = None
        #: Set once the reason and type ids are known.
        self.ready = threading.Event()
        #: The last problem met, for people (``None`` when all went well).
        self.problem: str | None = None
        #: Whether the bulk route was found missing (the sender then sends one by one).
        self.bulk_missing = False
        #: Whether the connector route was found missing (the sender then uses the bulk route).
        self.connector_missing = False

    # -- what the sender reads -------------------------------------------------------------

    @property
    def reason_id(self) -> str | None:
        with self._lock:
            return self._reason_id

    @property
    def type_id(self) -> str | None:
        with self._lock:
            return self._type_id

    @property
    def version(self) -> str | None:
        with self._lock:
            return self._version

    @property
    def bulk_available(self) -> bool:
        return not self.bulk_missing and has_bulk(self.version)

    @property
    def connector_available(self) -> bool:
        return not self.connector_missing and self.bulk_available and has_connector_bulk(self.version)

    def complete(self, body: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
        """A copy of a pbehavior create body with ``reason``, ``type`` (and ``color``) filled in.

        Fields already in the body are kept. ``(None, why)`` while an id is still unknown.
        """
        with self._lock:
            reason, ptype, version = self._reason_id, self._type_id, self._version
        missing = [
            field
            for field, value in (("reason", reason), ("type", ptype))
            if not body.get(field) and value is None
        ]
        if missing:
            return None, f"waiting for the pbehavior {'/'.join(missing)} id{'s' if len(missing) > 1 else ''}"
        filled = dict(body)
        filled.setdefault("reason", reason)
        filled.setdefault("type", ptype)
        if needs_color(version) and not filled.get("color"):
            filled["color"] = DOWNTIME_COLOR
        return filled, ""

    def invalidate(self, what: str) -> None:
        """Canopsis no longer knows our reason or type id (deleted?): look it up again."""
        with self._lock:
            if what == "reason":
                self._reason_id = None
            elif what == "type":
                self._type_id = None
            else:
                return
            self.ready.clear()
        log.warning("Canopsis no longer knows the pbehavior %s id: looking it up again", what)
        self._start_thread()

    # -- the background thread -------------------------------------------------------------

    def start(self, client: CanopsisClient, stopping: threading.Event) -> None:
        """Starts the look-ups in a daemon thread; returns at once."""
        self._client = client
        self._stopping = stopping
        self._start_thread()

    def _start_thread(self) -> None:
        with self._lock:
            # _thread is reset under the lock by the thread itself when it ends (see _run).
            if self._client is None or self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="pbehavior-lookups", daemon=True)
            self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Waits until the ids are known; False on timeout."""
        return self.ready.wait(timeout)

    def _run(self) -> None:
        assert self._stopping is not None
        attempt = 0
        while not self._stopping.is_set():
            try:
                self.run_once()
            except LookupFailed as problem:
                self.problem = str(problem)
                delay = min(self.settings.max_delay, self.settings.initial_delay * 2 ** min(attempt, 30))
                attempt += 1
                level = logging.ERROR if problem.error else logging.WARNING
                log.log(level, "%s; next attempt in %.1fs", problem, delay)
                self._stopping.wait(delay)
                continue
            except Exception:  # a bug must not end the look-ups silently: payloads would wait forever
                delay = self.settings.max_delay
                log.exception("pbehavior look-ups failed unexpectedly; next attempt in %.1fs", delay)
                self._stopping.wait(delay)
                continue
            with self._lock:
                if self.ready.is_set():
                    self._thread = None
                    return
            # An invalidation raced with this round: go round again without waiting.
        with self._lock:
            self._thread = None

    def run_once(self) -> None:
        """One round of look-ups; sets :attr:`ready` when done. Raises :class:`LookupFailed`."""
        client = self._client
        assert client is not None
        if not self._version_checked:
            self._check_version(client)
        if self.reason_id is None:
            reason_id, created = find_or_create_reason(client, self.settings)
            with self._lock:
                self._reason_id = reason_id
            if created:
                notice(
                    log,
                    "pbehavior reason %r created in Canopsis (id %s)",
                    self.settings.reason_name,
                    reason_id,
                )
        if self.type_id is None:
            type_id = find_type(client, self.settings)
            with self._lock:
                self._type_id = type_id
        with self._lock:
            done = self._reason_id is not None and self._type_id is not None
            reason_id, type_id, version = self._reason_id, self._type_id, self._version
            if done:
                self.ready.set()
        if done:
            self.problem = None
            notice(
                log,
                "pbehaviors: reason %r is %s, type %r is %s, Canopsis %s%s",
                self.settings.reason_name,
                reason_id,
                self.settings.type_name,
                type_id,
                version or "of unknown version",
                " (pbehaviors carry a color)" if needs_color(version) else "",
            )

    def _check_version(self, client: CanopsisClient) -> None:
        try:
            status, body = app_info(client)
        except requests.RequestException as error:
            raise unreachable(client, error) from None
        found = body.get("version") if status == 200 and isinstance(body, dict) else None
        version = found if isinstance(found, str) and version_line(found) is not None else None
        if version is None and not self._version_warned:
            # B5: not fatal. The colour is then sent, which every version accepts.
            self._version_warned = True
            log.warning(
                "Canopsis version unknown (%s answered %s): pbehaviors will carry a color",
                APP_INFO_ROUTE,
                status if status != 200 else f"no version: {found!r}",
            )
        with self._lock:
            self._version = version
            # A passing problem (maintenance, 5xx, timeout) is asked again next round.
            self._version_checked = status in (200, 404)
