"""systemd's notification protocol (sd_notify(3)), in the few lines it takes.

A service of ``Type=notify`` tells systemd it is ready (``READY=1``), reloading (``RELOADING=1``),
stopping (``STOPPING=1``) and alive (``WATCHDOG=1``, at least every ``WatchdogSec``) by sending
datagrams to the unix socket named in ``NOTIFY_SOCKET``; a name starting with ``@`` is in the
abstract namespace. Outside systemd the variable is not set and every call does nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Mapping

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        environ = os.environ if environ is None else environ
        address = environ.get("NOTIFY_SOCKET", "")
        self.address: str | bytes | None = None
        if address.startswith("@"):
            self.address = "\0" + address[1:]
        elif address.startswith("/"):
            self.address = address
        #: Seconds between two WATCHDOG=1 (half of WatchdogSec, as sd_watchdog_enabled advises);
        #: None when systemd does not watch this process.
        self.watchdog_interval: float | None = None
        usec = environ.get("WATCHDOG_USEC", "")
        pid = environ.get("WATCHDOG_PID", "")
        if usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid())):
            self.watchdog_interval = int(usec) / 2_000_000
        self._socket: socket.socket | None = None
        self._last_watchdog = 0.0

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def notify(self, *fields: str) -> bool:
        """Sends ``KEY=value`` lines; False (never an exception) when it cannot."""
        if self.address is None:
            return False
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._socket.sendto("\n".join(fields).encode(), self.address)
            return True
        except OSError as error:
            log.warning("cannot notify systemd (%s): %s", fields[0] if fields else "", error)
            return False

    def ready(self, status: str = "") -> bool:
        return self.notify("READY=1", *([f"STATUS={status}"] if status else []))

    def reloading(self) -> bool:
        # MONOTONIC_USEC lets Type=notify-reload (systemd 253+) match the reload to this message.
        now_usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        return self.notify("RELOADING=1", f"MONOTONIC_USEC={now_usec}")

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")

    def status(self, text: str) -> bool:
        return self.notify(f"STATUS={text}")

    def watchdog(self, now: float | None = None) -> bool:
        """WATCHDOG=1 when due (called from the pipeline's loop, as often as it likes)."""
        interval = self.watchdog_interval
        if interval is None or self.address is None:
            return False
        now = time.monotonic() if now is None else now
        if now - self._last_watchdog < interval:
            return False
        self._last_watchdog = now
        return self.notify("WATCHDOG=1")

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
