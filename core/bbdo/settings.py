"""Settings of the BBDO source, read from the ``[source]`` table of the connector configuration."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from .budget import DEFAULT_MAX_EVENT_SIZE, DEFAULT_PEER_BUFFER_LIMIT, DEFAULT_TOTAL_BUFFER_LIMIT, MiB
from .codec import ba_status_numbering
from .handshake import parse_version
from .peers import AllowList

log = logging.getLogger(__name__)

_MODES = ("listen", "connect")
_SUPPORTED_VERSIONS = ("2.0.0", "3.0.0", "3.0.1")


@dataclass(frozen=True, slots=True)
class BBDOSettings:
    """Everything the BBDO source needs; the first block is the configuration file's ``[source]``."""

    mode: str = "listen"
    #: listen: address to bind; connect: address of Broker's bbdo_server output.
    host: str = "127.0.0.1"
    port: int = 5670
    #: Spoken first in connect mode; the major we expect from peers in listen mode.
    bbdo_version: str = "3.0.0"
    #: Selects the pb_ba_status numbering ("23.04"/"23.10" vs "24.04"+); "auto" guesses per event.
    broker_version: str = "24.10"
    ack_events: int = 1000
    ack_interval: float = 5.0
    handshake_timeout: float = 3.0
    #: Seconds without any byte before a peer is dropped; 0 = never.
    idle_timeout: float = 0.0
    tls_cert: str | None = None
    tls_key: str | None = None
    #: CA (PEM) that must have signed the peer's certificate: client certificates in listen mode,
    #: Broker's server certificate in connect mode.
    tls_ca: str | None = None
    #: The peer's certificate must carry one of these names (subject CN, or a DNS or IP SAN).
    tls_peer_names: tuple[str, ...] = ()
    #: listen: addresses and networks (CIDR) allowed to connect; empty = any.
    allowed_peers: tuple[str, ...] = ()
    #: listen on a non-loopback address with neither tls_ca nor allowed_peers (validate refuses it
    #: unless this is set).
    allow_unauthenticated_peers: bool = False
    max_event_size: int = DEFAULT_MAX_EVENT_SIZE
    peer_buffer_limit: int = DEFAULT_PEER_BUFFER_LIMIT
    total_buffer_limit: int = DEFAULT_TOTAL_BUFFER_LIMIT
    reconnect_max_delay: float = 30.0

    # Not in the configuration file: tuning knobs for tests and benchmarks.
    reconnect_min_delay: float = 1.0
    max_batch_events: int = 1000
    #: Batches waiting for the pipeline; when full, peers' sockets are no longer read.
    queue_batches: int = 16
    #: On stop, how long to wait for in-flight batches before the final ack (Broker waits 5 s).
    stop_wait: float = 3.0
    partial_timeout: float = 60.0
    max_peers: int = 64

    CONFIG_KEYS = (
        "mode",
        "host",
        "port",
        "bbdo_version",
        "broker_version",
        "ack_events",
        "ack_interval",
        "handshake_timeout",
        "idle_timeout",
        "tls_cert",
        "tls_key",
        "tls_ca",
        "tls_peer_names",
        "allowed_peers",
        "allow_unauthenticated_peers",
        "max_event_size_mib",
        "peer_buffer_limit_mib",
        "total_buffer_limit_mib",
        "reconnect_max_delay",
    )
    #: Configuration keys in MiB -> the settings field, in bytes.
    MIB_KEYS = {
        "max_event_size_mib": "max_event_size",
        "peer_buffer_limit_mib": "peer_buffer_limit",
        "total_buffer_limit_mib": "total_buffer_limit",
    }

    def __post_init__(self) -> None:
        def bad(key: str, allowed: str) -> ValueError:
            return ValueError(f"[source] {key} = {getattr(self, key)!r}: {allowed}")

        if self.mode not in _MODES:
            raise bad("mode", "must be 'listen' or 'connect'")
        if not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise bad("port", "must be an integer from 0 to 65535")
        try:
            version = parse_version(self.bbdo_version)
        except (ValueError, TypeError):
            raise bad("bbdo_version", f"must be one of {', '.join(_SUPPORTED_VERSIONS)}") from None
        if version[0] not in (2, 3):
            raise bad("bbdo_version", f"must be one of {', '.join(_SUPPORTED_VERSIONS)}")
        try:
            ba_status_numbering(self.broker_version)
        except (ValueError, TypeError):
            raise bad("broker_version", "must be a Broker release like '24.10', or 'auto'") from None
        if not isinstance(self.ack_events, int) or self.ack_events < 1:
            raise bad("ack_events", "must be an integer >= 1")
        for key in ("ack_interval", "handshake_timeout"):
            value = getattr(self, key)
            if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise bad(key, "must be a number of seconds > 0")
        for key in ("idle_timeout", "reconnect_max_delay"):
            value = getattr(self, key)
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise bad(key, "must be a number of seconds >= 0")
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ValueError("[source] tls_cert and tls_key must be set together (TLS needs both)")
        if self.mode == "listen" and self.tls_ca and not self.tls_cert:
            raise ValueError(
                "[source] tls_ca needs tls_cert and tls_key in listen mode: the connector is the TLS server"
            )
        if self.mode == "connect" and self.tls_cert and not self.tls_ca:
            raise ValueError(
                "[source] tls_cert/tls_key in connect mode need tls_ca, to verify Broker's certificate"
            )
        if self.tls_peer_names and not self.tls_ca:
            raise ValueError(
                "[source] tls_peer_names needs tls_ca: names are checked on verified certificates"
            )
        AllowList(self.allowed_peers)  # raises ValueError naming a bad entry
        for key in ("max_event_size", "peer_buffer_limit", "total_buffer_limit"):
            value = getattr(self, key)
            if not isinstance(value, int) or value < MiB:
                raise bad(key, "must be at least 1 MiB")
        if not self.max_event_size <= self.peer_buffer_limit <= self.total_buffer_limit:
            raise ValueError(
                "[source] max_event_size_mib <= peer_buffer_limit_mib <= total_buffer_limit_mib is needed "
                f"(got {self.max_event_size // MiB}, {self.peer_buffer_limit // MiB}, "
                f"{self.total_buffer_limit // MiB}): a peer must be able to send the largest event kept"
            )

    @property
    def version(self) -> tuple[int, int, int]:
        return parse_version(self.bbdo_version)

    @property
    def tls(self) -> bool:
        """TLS is offered (listen: with a certificate; connect: to verify Broker's)."""
        if self.mode == "connect":
            return bool(self.tls_ca)
        return bool(self.tls_cert and self.tls_key)

    @property
    def verifies_peers(self) -> bool:
        """Peers must present a certificate signed by ``tls_ca``."""
        return bool(self.tls_ca)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], **overrides: Any) -> BBDOSettings:
        """Settings from a ``[source]`` table; missing keys take their defaults.

        ``type`` must be "bbdo" when present; keys this source does not know are logged and ignored
        (the configuration schema rejects them before we get here).
        """
        source_type = config.get("type", "bbdo")
        if source_type != "bbdo":
            raise ValueError(f"[source] type = {source_type!r}: the BBDO source needs type = 'bbdo'")
        known = set(cls.CONFIG_KEYS)
        unknown = sorted(k for k in config if k not in known and k != "type")
        if unknown:
            log.warning("[source]: ignoring keys the BBDO source does not know: %s", ", ".join(unknown))
        values = {k: config[k] for k in cls.CONFIG_KEYS if k in config}
        for key in ("ack_interval", "handshake_timeout", "idle_timeout", "reconnect_max_delay"):
            if isinstance(values.get(key), int) and not isinstance(values[key], bool):
                values[key] = float(values[key])
        for key, field_name in cls.MIB_KEYS.items():
            if key in values:
                value = values.pop(key)
                values[field_name] = int(value * MiB) if isinstance(value, int | float) else value
        for key in ("tls_peer_names", "allowed_peers"):
            if key in values:
                value = values[key]
                values[key] = (value,) if isinstance(value, str) else tuple(value or ())
        values.update(overrides)
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})
