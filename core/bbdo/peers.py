"""Who may feed the connector: the address allow-list, certificate names, exposed listeners."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    address = ipaddress.ip_address(host.split("%", 1)[0])  # drop an IPv6 zone
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # a dual-stack socket shows IPv4 peers as ::ffff:a.b.c.d
    return address


class AllowList:
    """``allowed_peers``: addresses and CIDR networks; empty allows everyone."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.networks: list[Network] = []
        for entry in entries:
            try:
                self.networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
            except ValueError:
                raise ValueError(
                    f"[source] allowed_peers: {entry!r} is neither an IP address nor a network like "
                    "10.1.2.0/24"
                ) from None

    def __bool__(self) -> bool:
        return bool(self.networks)

    def allows(self, host: str) -> bool:
        if not self.networks:
            return True
        try:
            address = _address(host)
        except ValueError:
            return False
        return any(address.version == net.version and address in net for net in self.networks)


def certificate_names(cert: Mapping[str, Any]) -> set[str]:
    """Subject common names and DNS/IP subject alternative names of ``SSLSocket.getpeercert()``."""
    names = {value for rdn in cert.get("subject", ()) for key, value in rdn if key == "commonName"}
    for kind, value in cert.get("subjectAltName", ()):
        if kind == "DNS":
            names.add(value)
        elif kind == "IP Address":
            try:
                names.add(str(ipaddress.ip_address(value.strip())))
            except ValueError:
                names.add(value.strip())
    return names


def name_matches(cert: Mapping[str, Any], wanted: Iterable[str]) -> bool:
    """The certificate carries one of ``wanted`` (exact match, case-insensitive for names)."""
    have = {name.lower() for name in certificate_names(cert)}
    return any(name.lower() in have for name in wanted)


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return _address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def exposure_problem(source: Mapping[str, Any]) -> str | None:
    """Why a listen-mode ``[source]`` lets anyone who reaches it feed Canopsis, or None.

    A listener on a non-loopback address needs peer authentication (``tls_ca``) or an
    ``allowed_peers`` list, unless ``allow_unauthenticated_peers`` says the risk is accepted.
    """
    if source.get("type") != "bbdo" or source.get("mode", "listen") != "listen":
        return None
    host = str(source.get("host") or "127.0.0.1")
    if is_loopback(host) or source.get("tls_ca") or source.get("allowed_peers"):
        return None
    return (
        f"source.host = {host!r} listens beyond this machine with neither tls_ca (client certificates) nor "
        "allowed_peers: anyone who reaches the port can raise, clear or silence alarms in Canopsis"
    )
