"""``centreon-canopsis check``: the Centreon documentation's curl tests, done natively.

Each step prints OK, SKIP or FAIL; a failure says what is wrong, how to fix it, and the curl
command that reproduces it (authkey masked). Steps: the Canopsis version (``app-info``), our
pbehavior reason (created if missing, as the connector does at start-up), our pbehavior type, a
test event, and a test pbehavior created, commented and deleted. Exit code 0 when no step
failed, 3 when Canopsis could not be reached, 1 for any other failure, 2 for an invalid
configuration.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import requests

from centreon_canopsis.core.cli.common import add_config_argument, quiet_config
from centreon_canopsis.core.cli.exitcodes import FAILED, OK, UNAVAILABLE, USAGE
from centreon_canopsis.core.config import Config
from centreon_canopsis.core.customers import customer_config
from centreon_canopsis.core.elements import default_registry
from centreon_canopsis.core.secrets import MASK, REDACTOR
from centreon_canopsis.plugins.builtin.canopsis import lookups
from centreon_canopsis.plugins.builtin.canopsis.client import AUTH_HEADER, Answer, CanopsisClient
from centreon_canopsis.plugins.builtin.canopsis.pbehaviors import bulk_path

TEST_COMPONENT = "centreon-canopsis-check"
#: How long the test pbehavior would last if its delete failed.
TEST_PBEHAVIOR_SECONDS = 300

RIGHTS = {
    "event": "Administration > Rights > API: Event",
    "pbehavior": "Administration > Rights > API > PBehavior: PBehaviors (create, read, update, delete)",
    "reason": "Administration > Rights > API > PBehavior: Reasons (create, read)",
    "type": "Administration > Rights > API > PBehavior: Types (read)",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check that Canopsis answers as the connector needs (the documentation's curl tests)",
        description="Asks Canopsis for its version, looks up the pbehavior reason (creating it if "
        "missing, as the connector does) and type, sends a test event (state 0 on the component "
        f"{TEST_COMPONENT!r}) and creates, comments and deletes a test pbehavior. Each step prints OK or "
        "what is wrong and how to fix it. Exit code 0 when every step passed, 3 when Canopsis "
        "could not be reached, 1 for any other failure.",
    )
    add_config_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = quiet_config(args.config)
    if config is None:
        return USAGE
    checkers = [Checker(config)]
    passed = checkers[0].run()
    for customer in config.get("customers") or ():  # each [[customers]] Canopsis, with its settings
        print(f"\ncustomer {customer['name']}:")
        checkers.append(Checker(customer_config(config, customer)))
        passed = checkers[-1].run() and passed
    if passed:
        return OK
    return UNAVAILABLE if any(checker.unreachable for checker in checkers) else FAILED


def _tls_fix(error: Exception) -> str:
    text = str(error)
    if "WRONG_VERSION_NUMBER" in text or "wrong version number" in text:
        # The answer was not TLS: a plain HTTP server on that port.
        return (
            'Canopsis answers plain HTTP on this port: set sending_protocol = "http", or point '
            "canopsis_port at its HTTPS port"
        )
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return "set ca_file to the CA that signed Canopsis's certificate, or verify_certificate = 0"
    return "check sending_protocol, canopsis_port, ca_file and verify_certificate"


@dataclass
class Request:
    """A request as the curl line that reproduces it."""

    method: str
    path: str
    body: Any = None
    params: dict[str, Any] | None = None


class StepFailed(Exception):
    def __init__(self, message: str, fix: str = "", request: Request | None = None) -> None:
        super().__init__(message)
        self.fix = fix
        self.request = request


class Checker:
    def __init__(self, config: Config, out: Callable[[str], None] | None = None) -> None:
        self.config = config
        self.client = CanopsisClient.from_config(config)
        self.client.log_curl = False  # failures print their own curl line
        self.out = out or (lambda line: print(line, file=sys.stdout))
        self.settings = lookups.LookupSettings.from_config(config)
        self.failures = 0
        self.version: str | None = None
        self.reason_id: str | None = None
        self.type_id: str | None = None
        #: Why the steps after app-info cannot run (Canopsis unreachable, authkey refused).
        self.blocked: str | None = None
        #: A request could not reach Canopsis at all (exit code 3, like any missing resource).
        self.unreachable = False

    def say(self, line: str) -> None:
        self.out(REDACTOR.redact(line))  # the authkey is never printed; this is the safety net

    def run(self) -> bool:
        config = self.config
        self.say(f"checking Canopsis at {self.client.base_url} (authkey {MASK})")
        downtimes = _downtimes_on(config)
        steps: list[tuple[str, Callable[[], str], str | None]] = [
            ("app-info", self.app_info, None),
            (f"pbehavior reason {config.canopsis_downtime_reason_name!r}", self.reason, downtimes),
            (f"pbehavior type {config.canopsis_downtime_type_name!r}", self.ptype, downtimes),
            ("test event", self.event, None),
            ("test pbehavior", self.pbehavior, downtimes),
        ]
        for index, (title, step, skip) in enumerate(steps):
            if index and self.blocked:
                skip = self.blocked
            if skip:
                self.say(f"[SKIP] {title}: {skip}")
                continue
            try:
                self.say(f"[ OK ] {title}: {step()}")
            except StepFailed as problem:
                self.failures += 1
                self.say(f"[FAIL] {title}: {problem}")
                if problem.fix:
                    self.say(f"       fix: {problem.fix}")
                if problem.request is not None:
                    self.say(f"       try: {self.curl(problem.request)}")
        self.client.close()
        if self.failures:
            self.say(f"{self.failures} check{'s' if self.failures > 1 else ''} failed")
        else:
            self.say("all checks passed")
        return not self.failures

    # -- steps -------------------------------------------------------------------------------

    def app_info(self) -> str:
        request = Request("GET", lookups.APP_INFO_ROUTE)
        self.blocked = "Canopsis is not reachable (see above)"
        response = self.send(request)
        self.blocked = "the authkey is refused (see above)" if response.status_code == 401 else None
        if response.status_code != 200:
            raise self.http_failure(response, request, "event")
        body = _json(response)
        version = body.get("version") if isinstance(body, dict) else None
        if lookups.version_line(version) is None:
            raise StepFailed(
                f"no Canopsis version in the answer ({version!r})",
                "check that canopsis_host and canopsis_port point at the Canopsis API, not another server",
                request,
            )
        self.version = version
        edition = body.get("edition") or "edition unknown"
        color = "pbehaviors carry a color" if lookups.needs_color(version) else "no pbehavior color needed"
        return f"Canopsis {version} ({edition}); {color}"

    def reason(self) -> str:
        request = Request(
            "GET", self.settings.reason_route, params={"paginate": "false", "with_hidden": "true"}
        )
        try:
            self.reason_id, created = lookups.find_or_create_reason(self.client, self.settings)
        except lookups.LookupFailed as problem:
            raise self.lookup_failure(problem, request, "reason") from None
        if created:
            return f"was missing: created it (id {self.reason_id}), as the connector does at start-up"
        return f"found (id {self.reason_id})"

    def ptype(self) -> str:
        request = Request(
            "GET", self.settings.type_route, params={"paginate": "false", "with_hidden": "true"}
        )
        try:
            self.type_id = lookups.find_type(self.client, self.settings)
        except lookups.LookupFailed as problem:
            raise self.lookup_failure(problem, request, "type") from None
        return f"found (id {self.type_id})"

    def event(self) -> str:
        config = self.config
        body = [
            {
                "event_type": "check",
                "source_type": "component",
                "connector": config.connector,
                "connector_name": config.connector_name,
                "component": TEST_COMPONENT,
                "state": 0,
                "output": "centreon-canopsis check: test event",
                "timestamp": int(time.time()),
            }
        ]
        request = Request("POST", config.canopsis_event_route, body)
        response = self.send(request)
        if not response.ok:
            raise self.http_failure(response, request, "event")
        answer = _json(response)
        failed = answer.get("failed_events") if isinstance(answer, dict) else None
        if failed is None:
            raise StepFailed(
                f"unexpected answer (HTTP {response.status_code}): {response.text[:200]}",
                "check canopsis_event_route (default /api/v4/event) and any proxy in between",
                request,
            )
        if failed:
            raise StepFailed(
                f"Canopsis took the request but could not process the event: {failed}",
                "look at the Canopsis API and engine logs (RabbitMQ trouble?)",
                request,
            )
        return f"accepted by POST {config.canopsis_event_route} (component {TEST_COMPONENT!r}, state 0)"

    def pbehavior(self) -> str:
        if not self.reason_id or not self.type_id:
            missing = " and ".join(
                n for n, v in (("reason", self.reason_id), ("type", self.type_id)) if not v
            )
            raise StepFailed(f"not tried: the pbehavior {missing} id is unknown (see above)")
        config = self.config
        now = int(time.time())
        pid = f"{TEST_COMPONENT}-{now}-{secrets.token_hex(3)}"
        body: dict[str, Any] = {
            "_id": pid,
            "name": pid,
            "author": "centreon-canopsis check",
            "enabled": True,
            "tstart": now,
            "tstop": now + TEST_PBEHAVIOR_SECONDS,
            "rrule": "",
            "reason": self.reason_id,
            "type": self.type_id,
            "entity_pattern": [[{"field": "_id", "cond": {"type": "eq", "value": TEST_COMPONENT}}]],
        }
        if lookups.needs_color(self.version):
            body["color"] = lookups.DOWNTIME_COLOR
        bulk = bool(int(config.canopsis_downtime_bulk)) and lookups.has_bulk(self.version)
        route = config.canopsis_downtime_route
        if bulk:
            self.bulk_call(Request("POST", bulk_path(route), [body]), "created")
        else:
            request = Request("POST", route, body)
            response = self.send(request)
            if not response.ok:
                raise self.http_failure(response, request, "pbehavior")
        comment = Request(
            "POST", config.canopsis_downtime_comment_route, {"pbehavior": pid, "message": "test"}
        )
        response = self.send(comment)
        if not response.ok:
            self.delete_quietly(pid, bulk)
            raise self.http_failure(response, comment, "pbehavior")
        if bulk:
            self.bulk_call(Request("DELETE", bulk_path(route), [{"_id": pid}]), "deleted", left=pid)
        else:
            request = Request("DELETE", route, params={"name": pid})
            response = self.send(request)
            if response.status_code != 204 and not response.ok:
                raise self.http_failure(response, request, "pbehavior", left=pid)
        how = f"{bulk_path(route)} (bulk)" if bulk else route
        return f"{pid} created, commented and deleted through {how}"

    def bulk_call(self, request: Request, done: str, left: str | None = None) -> None:
        response = self.send(request)
        if response.status_code != 207:
            raise self.http_failure(response, request, "pbehavior", left=left)
        answer = _json(response)
        item = answer[0] if isinstance(answer, list) and answer else None
        status = item.get("status") if isinstance(item, dict) else None
        if status != 200:
            detail = (
                {k: item[k] for k in ("errors", "error") if k in item} if isinstance(item, dict) else answer
            )
            raise StepFailed(
                f"the bulk request answered 207, but the item was not {done} (status {status}: {detail})",
                _leftover(left) or "see the message above",
                request,
            )

    def delete_quietly(self, pid: str, bulk: bool) -> None:
        route = self.config.canopsis_downtime_route
        try:
            if bulk:
                self.send(Request("DELETE", bulk_path(route), [{"_id": pid}]))
            else:
                self.send(Request("DELETE", route, params={"name": pid}))
        except StepFailed:
            pass

    # -- plumbing ------------------------------------------------------------------------------

    def send(self, request: Request) -> Answer:
        try:
            return self.client.request(
                request.method,
                request.path,
                body=request.body,
                params=request.params,
                headers={"accept": "application/json"},
            )
        except requests.exceptions.SSLError as error:
            raise StepFailed(f"TLS error: {_short(error)}", _tls_fix(error), request) from None
        except requests.exceptions.ProxyError as error:
            raise StepFailed(
                f"proxy error: {_short(error)}",
                "check proxy_address, proxy_port and the proxy credentials",
                request,
            ) from None
        except requests.RequestException as error:
            self.unreachable = True
            raise StepFailed(
                f"cannot reach {self.client.base_url}: {type(error).__name__}",
                "check canopsis_host, canopsis_port and sending_protocol, and that no firewall is in the way",
                request,
            ) from None

    def http_failure(
        self, response: Answer, request: Request, right: str, left: str | None = None
    ) -> StepFailed:
        status = response.status_code
        text = response.text[:300]
        if status == 401:
            fix = "check canopsis_authkey: it must be the authentication key of an enabled Canopsis user"
        elif status == 403:
            fix = f"give the authkey's user the right: {RIGHTS[right]}"
        elif status == 404:
            fix = f"check the route {request.path} (canopsis_*_route settings) and the Canopsis version"
        elif status == 503:
            fix = "Canopsis is in maintenance mode or unavailable: try again later"
        else:
            fix = "see the answer above"
        if left:
            fix = f"{fix}; {_leftover(left)}"
        return StepFailed(f"{request.method} {request.path} answered HTTP {status}: {text}", fix, request)

    def lookup_failure(self, problem: lookups.LookupFailed, request: Request, right: str) -> StepFailed:
        fixes = {
            401: "check canopsis_authkey: it must be the authentication key of an enabled Canopsis user",
            403: f"give the authkey's user the rights: {RIGHTS[right]}",
        }
        message = str(problem)
        name = self.settings.reason_name if right == "reason" else self.settings.type_name
        subject = f"pbehavior {right} {name!r}"
        if message.startswith(subject):  # the step's title already names it
            message = message[len(subject) :].lstrip(": ")
        return StepFailed(message, fixes.get(problem.status or 0, ""), request)

    def curl(self, request: Request) -> str:
        data = None if request.body is None else orjson.dumps(request.body)
        headers = {AUTH_HEADER: MASK, "accept": "application/json"}
        if data is not None:
            headers["content-type"] = "application/json"
        return self.client.curl(
            request.method, self.client.base_url + request.path, headers, data, request.params
        )


def _downtimes_on(config: Config) -> str | None:
    """Why the downtime steps are skipped, or None when downtimes are on."""
    from centreon_canopsis.plugins.builtin.downtime.plugin import downtimes_accepted

    if not int(config.canopsis_downtime_send_pbh):
        return "downtimes are off (canopsis_downtime_send_pbh = 0)"
    if not downtimes_accepted(config, default_registry()):
        return "downtimes are off (downtime is not in accepted_elements)"
    return None


def _json(response: Answer) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _short(error: Exception) -> str:
    text = str(error)
    return text if len(text) <= 200 else text[:200] + "..."


def _leftover(pid: str | None) -> str:
    return f"the test pbehavior {pid} may be left in Canopsis: delete it there" if pid else ""
