"""Configuration checks of the BBDO ``[source]`` that need more than the schema (see config.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .bbdo.peers import AllowList, exposure_problem


def bbdo_source_errors(source: Mapping[str, Any]) -> list[str]:
    """(Files named here are checked with the others in config._file_errors.)"""
    if source.get("type") != "bbdo":
        return []
    errors = []
    if not source.get("allow_unauthenticated_peers"):
        problem = exposure_problem(source)
        if problem:
            errors.append(
                f"{problem}. Set source.tls_ca (client certificates) or source.allowed_peers, or "
                "allow_unauthenticated_peers = true to accept the risk (see docs/security.md)"
            )
    try:
        AllowList(source.get("allowed_peers") or ())
    except ValueError as problem:
        errors.append(str(problem).replace("[source] ", "source."))
    mode = source.get("mode", "listen")
    if source.get("tls_ca"):
        if mode == "listen" and not source.get("tls_cert"):
            errors.append(
                "source.tls_ca needs tls_cert and tls_key in listen mode (the connector is the TLS server)"
            )
    elif mode == "connect" and source.get("tls_cert"):
        errors.append("source.tls_cert in connect mode needs tls_ca, to verify Broker's certificate")
    if source.get("tls_peer_names") and not source.get("tls_ca"):
        errors.append("source.tls_peer_names needs tls_ca: names are checked on verified certificates")
    sizes = [
        source.get(key) for key in ("max_event_size_mib", "peer_buffer_limit_mib", "total_buffer_limit_mib")
    ]
    if all(isinstance(size, int | float) for size in sizes) and not sizes[0] <= sizes[1] <= sizes[2]:
        errors.append(
            "source.max_event_size_mib <= peer_buffer_limit_mib <= total_buffer_limit_mib is needed "
            f"(got {sizes[0]}, {sizes[1]}, {sizes[2]}): a peer must be able to send the largest event kept"
        )
    return errors
