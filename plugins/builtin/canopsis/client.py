"""The HTTP client of the Canopsis API v4.

One keep-alive ``requests.Session`` per thread (sessions are not thread-safe), environment
proxies ignored (``trust_env = False``: the proxy is the configured one, and requests no longer
rescans the environment on every call). The authkey goes in the ``x-canopsis-authkey`` header,
never in a URL, and every rendering of a request (curl log lines, reprs, errors) masks it.
"""

from __future__ import annotations

import logging
import shlex
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

import orjson
import requests

from centreon_canopsis.core.config import Config
from centreon_canopsis.core.logsetup import NOTICE
from centreon_canopsis.core.secrets import MASK, Secret

log = logging.getLogger(__name__)

AUTH_HEADER = "x-canopsis-authkey"
USER_AGENT = "centreon-canopsis-connector"


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
    ) -> None:
        self.base_url = base_url.rstrip("/")
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

    @property
    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.trust_env = False
            session.verify = self.verify
            session.headers["User-Agent"] = USER_AGENT
            if self._proxy:
                url = self._proxy
                if self._proxy_username and self._proxy_password:
                    scheme, rest = url.split("://", 1)
                    user = quote(self._proxy_username, safe="")
                    password = quote(self._proxy_password.reveal(), safe="")
                    url = f"{scheme}://{user}:{password}@{rest}"
                session.proxies = {"http": url, "https": url}
        return session

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> requests.Response:
        """Sends one request; ``body`` is encoded as JSON (bytes are sent as they are)."""
        all_headers = {AUTH_HEADER: self._authkey.reveal()}
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else orjson.dumps(body)
            all_headers["content-type"] = "application/json"
        all_headers.update(headers or {})
        url = self.base_url + path
        if self.log_curl:
            log.log(NOTICE, "%s", self.curl(method, url, all_headers, data, params))
        return self.session.request(
            method, url, data=data, params=params, headers=all_headers, timeout=timeout or self.timeout
        )

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
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()
