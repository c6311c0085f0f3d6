"""The HTTP client of the Canopsis API v4.

One keep-alive urllib3 connection pool per thread, environment proxies ignored (the proxy is the
configured one). The authkey goes in the ``x-canopsis-authkey`` header, never in a URL, and every
rendering of a request (curl log lines, reprs, errors) masks it; the proxy credentials go in a
``Proxy-Authorization`` header built inside the pool, never in a URL either.

Why urllib3 and not a ``requests.Session``: on the benchmark VM a requests call costs about
900 us of CPU against 370 us for the same request through urllib3, which requests itself uses
underneath (docs/delivery.md, "Fifth round"); before Canopsis 24.04.8 each downtime comment is
one request, so that difference was a fifth of the connector's CPU. Kept from requests: its
exception classes (callers and messages are unchanged) and the part of its response the senders
read (:class:`Answer`). ``verify_certificate = 1`` verifies against ``ca_file``, else the
system's CA store, as the README says (requests used certifi's bundle when installed from PyPI).
Redirects are not followed: Canopsis's API never redirects, and a 3xx reaches the senders as an
answer that says where the address points (answers.py).
"""

from __future__ import annotations

import logging
import shlex
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import orjson
import requests
import urllib3
from urllib3 import exceptions as u3

from centreon_canopsis.core.config import Config
from centreon_canopsis.core.logsetup import NOTICE
from centreon_canopsis.core.secrets import MASK, Secret

log = logging.getLogger(__name__)

AUTH_HEADER = "x-canopsis-authkey"
USER_AGENT = "centreon-canopsis-connector"
#: Sent with every request, as requests did.
BASE_HEADERS = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate", "Accept": "*/*"}


class Answer:
    """What Canopsis answered: status, headers and body, read whole (the part of
    ``requests.Response`` the senders use)."""

    __slots__ = ("content", "headers", "reason", "status_code", "url")

    def __init__(
        self, status_code: int, headers: Mapping[str, str], content: bytes, reason: str, url: str
    ) -> None:
        self.status_code = status_code
        self.headers = headers  # case-insensitive (urllib3's HTTPHeaderDict)
        self.content = content
        self.reason = reason
        self.url = url

    @property
    def ok(self) -> bool:
        """A 2xx: redirects are not followed, so a 3xx is not a success."""
        return 200 <= self.status_code < 300

    @property
    def text(self) -> str:
        return self.content.decode(self._charset(), "replace")

    def json(self) -> Any:
        """The decoded body; ValueError when it is not JSON."""
        return orjson.loads(self.content)

    def _charset(self) -> str:
        content_type = self.headers.get("content-type") or ""
        for part in content_type.split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset" and value:
                charset = value.strip("\"' ")
                try:
                    "".encode(charset)
                except LookupError:
                    break
                return charset
        return "utf-8"

    def __repr__(self) -> str:
        return f"<Answer [{self.status_code}]>"


class AnswerTooLarge(requests.RequestException):
    """An answer longer than ``max_answer`` bytes: memory stays bounded whatever the server
    sends (retried like any answer that did not come whole)."""


#: Canopsis's largest answers echo a batch of events (about 1 MB for 1000): far below this.
MAX_ANSWER_BYTES = 64 * 1024 * 1024


def _requests_error(error: Exception) -> requests.RequestException:
    """urllib3's error as the requests exception requests' own adapter raises for it."""
    if isinstance(error, u3.ProxyError):
        return requests.exceptions.ProxyError(error)
    if isinstance(error, u3.SSLError):
        return requests.exceptions.SSLError(error)
    if isinstance(error, u3.ConnectTimeoutError) and not isinstance(error, u3.NewConnectionError):
        return requests.exceptions.ConnectTimeout(error)
    if isinstance(error, u3.ReadTimeoutError):
        return requests.exceptions.ReadTimeout(error)
    if isinstance(error, u3.DecodeError):
        return requests.exceptions.ContentDecodingError(error)
    if isinstance(error, u3.LocationValueError):
        return requests.exceptions.InvalidURL(error)
    return requests.exceptions.ConnectionError(error)  # refused, reset, closed mid-answer


class CanopsisClient:
    def __init__(
        self,
        base_url: str,
        authkey: Secret,
        *,
        timeout: float = 60.0,
        verify: bool | str = True,
        proxy: str | None = None,
        proxy_username: str = "",
        proxy_password: Secret | None = None,
        log_curl: bool = False,
        max_answer: int = MAX_ANSWER_BYTES,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_answer = max_answer
        self._authkey = authkey
        self.timeout = timeout
        self.verify = verify
        self._proxy = proxy
        self._proxy_username = proxy_username
        self._proxy_password = proxy_password or Secret("")
        self.log_curl = log_curl
        self._local = threading.local()

    @classmethod
    def from_config(cls, config: Config) -> CanopsisClient:
        base = f"{config.sending_protocol}://{config.canopsis_host}:{config.canopsis_port}"
        proxy = None
        if config.proxy_address:
            proxy = f"{config.proxy_protocol}://{config.proxy_address}:{config.proxy_port}"
        verify: bool | str = bool(config.verify_certificate)
        if verify and config.get("ca_file"):
            verify = config.ca_file
        return cls(
            base,
            config.canopsis_authkey,
            timeout=float(config.connection_timeout),
            verify=verify,
            proxy=proxy,
            proxy_username=config.proxy_username,
            proxy_password=config.proxy_password,
            log_curl=bool(config.log_curl_commands),
        )

    def __repr__(self) -> str:
        return f"CanopsisClient({self.base_url!r})"

    def _pool(self) -> Any:
        """This thread's connection pool (one keep-alive connection to Canopsis or the proxy)."""
        pool = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = self._new_pool()
        return pool

    def _new_pool(self) -> Any:
        tls: dict[str, Any]
        if self.verify is False:
            tls = {"cert_reqs": "CERT_NONE"}
        else:
            tls = {"cert_reqs": "CERT_REQUIRED"}  # with no ca_file: the system's store (README)
            if isinstance(self.verify, str):
                tls["ca_certs"] = self.verify
        timeout = urllib3.Timeout(connect=self.timeout, read=self.timeout)
        if not self._proxy:
            if not self.base_url.startswith("https:"):
                tls = {}  # plain HTTP pools take no TLS settings
            return urllib3.connection_from_url(
                self.base_url, maxsize=1, block=False, retries=False, timeout=timeout, **tls
            )
        headers = {}
        if self._proxy_username and self._proxy_password:
            credentials = f"{self._proxy_username}:{self._proxy_password.reveal()}"
            headers = urllib3.make_headers(proxy_basic_auth=credentials)
        return urllib3.ProxyManager(
            self._proxy,
            num_pools=1,
            maxsize=1,
            block=False,
            retries=False,
            timeout=timeout,
            proxy_headers=headers,
            **tls,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Answer:
        """Sends one request; ``body`` is encoded as JSON (bytes are sent as they are).

        Raises requests' exception classes (``requests.RequestException``) when no answer came.
        """
        all_headers = {AUTH_HEADER: self._authkey.reveal()}
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else orjson.dumps(body)
            all_headers["content-type"] = "application/json"
        if headers:
            all_headers.update(headers)
        if params:
            path = f"{path}?{urlencode(params, doseq=True)}"
        url = self.base_url + path
        if self.log_curl:
            log.log(NOTICE, "%s", self.curl(method, url, all_headers, data))
        pool = self._pool()
        target = url if self._proxy else path  # a proxy manager routes by the whole URL
        sent = {**BASE_HEADERS, **all_headers}
        options: dict[str, Any] = {"body": data, "headers": sent, "redirect": False, "retries": False}
        if timeout is not None:
            options["timeout"] = urllib3.Timeout(connect=timeout, read=timeout)
        try:
            response = pool.urlopen(method, target, preload_content=False, **options)
            try:
                content = response.read(self.max_answer + 1)  # decoded bytes: a gzip bomb stops here too
                if len(content) > self.max_answer:
                    raise AnswerTooLarge(
                        f"{method} {path}: the answer is over {self.max_answer:,} bytes; not read, "
                        "the connection is closed"
                    )
            finally:
                if response.isclosed() or response.length_remaining == 0:
                    response.release_conn()  # read whole: the connection is kept
                else:
                    response.close()  # unread bytes would be read as the next answer
        except requests.RequestException:
            raise
        except (u3.HTTPError, OSError) as error:
            raise _requests_error(error) from error
        return Answer(response.status, response.headers, content, response.reason or "", url)

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> tuple[int, Any]:
        """``(status, decoded body or None)`` of a GET."""
        response = self.request("GET", path, params=params, headers={"accept": "application/json"})
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None

    def curl(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        data: bytes | None,
        params: Mapping[str, Any] | None = None,
    ) -> str:
        """The request as a curl command line, the authkey and proxy password masked."""
        parts = ["curl"]
        if self._proxy:
            user = f"{self._proxy_username}:{MASK}@" if self._proxy_username else ""
            scheme, rest = self._proxy.split("://", 1)
            parts += ["--proxy", f"{scheme}://{user}{rest}"]
        if self.verify is False:
            parts.append("-k")
        parts += ["-X", method]
        for name, value in headers.items():
            shown = MASK if name.lower() == AUTH_HEADER else value
            parts += ["-H", f"{name}: {shown}"]
        parts.append(url + (f"?{urlencode(params)}" if params else ""))
        if data is not None:
            parts += ["-d", data.decode("utf-8", errors="replace")]
        return " ".join(shlex.quote(part) for part in parts)

    def close(self) -> None:
        pool = getattr(self._local, "pool", None)
        if pool is not None:
            self._local.pool = None
            pool.clear() if isinstance(pool, urllib3.PoolManager) else pool.close()
