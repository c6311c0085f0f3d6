"""The monitored estate: pollers, hosts, services, groups, severities, custom variables, BAs.

Everything here is drawn once from a seeded random generator, so the same seed and sizes give the
same estate. Hosts and services also carry their live check state (filled in by ``checks``), so
that a configuration event sent at an Engine reload shows the state the object is in.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from centreon_canopsis.standins.broker.acknowledgements import Acknowledgement
    from centreon_canopsis.standins.broker.downtimes import Downtime

HOST_KIND = 0
SERVICE_KIND = 1

# Service types of pb_service (bbdo.md 4.4, top-level ServiceType).
SERVICE_TYPE_SERVICE = 0
SERVICE_TYPE_BA = 3

BAM_HOST_NAME = "_Module_BAM_1"

_SITES = ("par", "lyo", "mrs", "lil", "tls", "nte", "bdx", "stg")
_ROLES = ("web", "db", "app", "cache", "lb", "mail", "dns", "file", "backup", "proxy")
# description, check command, output family, whether the check crosses the network (a down host
# makes it CRITICAL rather than UNKNOWN), custom thresholds.
_SERVICE_TEMPLATES: tuple[tuple[str, str, str, bool, bool], ...] = (
    ("Ping", "App-Monitoring-Centreon-Ping", "ping", True, False),
    ("Cpu", "OS-Linux-SNMP-Cpu", "cpu", False, True),
    ("Memory", "OS-Linux-SNMP-Memory", "memory", False, True),
    ("Load", "OS-Linux-SNMP-Load", "load", False, False),
    ("Disk-/", "OS-Linux-SNMP-Disk-Name", "disk", False, True),
    ("Swap", "OS-Linux-SNMP-Swap", "swap", False, False),
    ("Uptime", "OS-Linux-SNMP-Uptime", "uptime", False, False),
    ("Disk-/var", "OS-Linux-SNMP-Disk-Name", "disk", False, True),
    ("Ntp", "App-Protocol-Ntp", "ntp", True, False),
    ("Http", "App-Protocol-Http", "http", True, False),
    ("Processes", "OS-Linux-SNMP-Process-Generic", "processes", False, False),
    ("Traffic-eth0", "OS-Linux-SNMP-Traffic-Name", "traffic", False, False),
)
_SERVICE_GROUP_OF_FAMILY = {
    "ping": "Network",
    "ntp": "Network",
    "http": "Network",
    "traffic": "Network",
    "cpu": "System",
    "memory": "System",
    "load": "System",
    "swap": "System",
    "uptime": "System",
    "processes": "System",
    "disk": "Storage",
}
_BA_NAMES = ("Web-Shop", "Payroll", "ERP", "Mail", "VPN", "CRM", "Intranet", "Billing", "Wiki", "Backup")
_BV_NAMES = ("Finance", "Logistics", "Customers", "Internal-IT", "Sales", "Support")
_AUTHORS = ("admin", "jdoe", "asmith", "oncall", "noc-team")


@dataclass(slots=True)
class Poller:
    instance_id: int
    name: str
    site: str
    pid: int
    start_time: int = 0
    running: bool = False
    next_downtime_id: int = 1


@dataclass(slots=True)
class Severity:
    id: int
    type: int  # 0 SERVICE, 1 HOST (pb_severity.type)
    level: int
    name: str
    icon_id: int


@dataclass(slots=True, eq=False)
class Monitored:
    """Configuration shared by hosts and services, plus the live check state the Engine keeps."""

    kind: int
    poller: Poller
    check_command: str
    max_check_attempts: int
    check_interval: int  # minutes, like Engine's interval_length of 60 s
    retry_interval: int
    active_checks: bool = True
    notes_url: str = ""
    action_url: str = ""
    severity: Severity | None = None
    custom_variables: list[tuple[str, str]] = field(default_factory=list)
    enabled: bool = True
    # --- live state (see checks.py) ---
    checked: bool = False
    state: int = 0
    state_type: int = 1
    check_attempt: int = 1
    last_check: int = 0
    next_check: int = 0
    last_state_change: int = 0
    last_hard_state: int = 0
    last_hard_state_change: int = 0
    last_time: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    output: str = ""
    long_output: str = ""
    perfdata: str = ""
    latency: float = 0.0
    execution_time: float = 0.0
    flapping: bool = False
    percent_state_change: float = 0.0
    history: list[int] = field(default_factory=list)
    checks_since_change: int = 1000
    notification_number: int = 0
    last_notification: int = 0
    ack: Acknowledgement | None = None
    downtimes: list[Downtime] = field(default_factory=list)
    scheduled_downtimes: list[Downtime] = field(default_factory=list)  # added, not started
    # --- what the simulated world does to it next ---
    incident_state: int = 0
    incident_left: int = 0
    flap_left: int = 0
    flap_state: int = 0

    @property
    def ack_type(self) -> int:
        """AckType: 0 NONE, 1 NORMAL, 2 STICKY."""
        if self.ack is None:
            return 0
        return 2 if self.ack.sticky else 1

    @property
    def downtime_depth(self) -> int:
        return len(self.downtimes)

    @property
    def key(self) -> tuple[int, int]:
        """(host_id, service_id), service_id 0 for a host."""
        raise NotImplementedError


@dataclass(slots=True, eq=False)
class Host(Monitored):
    host_id: int = 0
    name: str = ""
    alias: str = ""
    address: str = ""
    groups: list[HostGroup] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    virtual: bool = False  # the BAM module host: always UP

    @property
    def key(self) -> tuple[int, int]:
        return (self.host_id, 0)


@dataclass(slots=True, eq=False)
class Service(Monitored):
    host: Host | None = None
    service_id: int = 0
    description: str = ""
    family: str = ""
    network: bool = False
    groups: list[ServiceGroup] = field(default_factory=list)
    bas: list[BusinessActivity] = field(default_factory=list)
    service_type: int = SERVICE_TYPE_SERVICE
    internal_id: int = 0

    @property
    def key(self) -> tuple[int, int]:
        assert self.host is not None
        return (self.host.host_id, self.service_id)


@dataclass(slots=True, eq=False)
class HostGroup:
    id: int
    name: str
    members: list[Host] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class ServiceGroup:
    id: int
    name: str
    members: list[Service] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class BusinessView:
    bv_id: int
    name: str
    description: str


@dataclass(slots=True, eq=False)
class BusinessActivity:
    ba_id: int
    name: str
    description: str
    kpis: list[Service]
    bvs: list[BusinessView]
    level_warning: float = 80.0
    level_critical: float = 50.0
    service: Service | None = None  # the virtual service ba_<id> on the BAM module host
    # --- live state (see bam.py) ---
    state: int = 0
    level_nominal: float = 100.0
    level_acknowledgement: float = 100.0
    level_downtime: float = 100.0
    in_downtime: bool = False
    last_state_change: int = 0


@dataclass(slots=True, eq=False)
class Topology:
    pollers: list[Poller]
    severities: list[Severity]
    hosts: list[Host]
    services: list[Service]
    host_groups: list[HostGroup]
    service_groups: list[ServiceGroup]
    bvs: list[BusinessView]
    bas: list[BusinessActivity]
    authors: tuple[str, ...] = _AUTHORS

    def hosts_of(self, poller: Poller) -> list[Host]:
        return [h for h in self.hosts if h.poller is poller]


def poller_name(index: int) -> str:
    return "Central" if index == 0 else f"Poller-{index}"


def build_topology(
    rng: random.Random, *, hosts: int, services_per_host: int, pollers: int, bas: int
) -> Topology:
    """Draw an estate of ``hosts`` hosts spread over ``pollers`` pollers (the first is Central)."""
    poller_list = [
        Poller(i + 1, poller_name(i), _SITES[i % len(_SITES)] + ("" if i < len(_SITES) else str(i)), 0)
        for i in range(pollers)
    ]
    for p in poller_list:
        p.pid = rng.randint(1000, 65000)
    host_sevs = [Severity(1, 1, 1, "Host-Critical", 11), Severity(2, 1, 2, "Host-High", 12)]
    host_sevs.append(Severity(3, 1, 3, "Host-Low", 13))
    svc_sevs = [Severity(4, 0, 1, "Service-Critical", 11), Severity(5, 0, 2, "Service-High", 12)]
    svc_sevs.append(Severity(6, 0, 3, "Service-Low", 13))

    role_groups: dict[str, HostGroup] = {}
    site_groups: dict[str, HostGroup] = {}
    os_groups: dict[str, HostGroup] = {}
    service_groups: dict[str, ServiceGroup] = {}
    host_list: list[Host] = []
    service_list: list[Service] = []
    next_service_id = 100
    for i in range(hosts):
        poller = poller_list[i % pollers]
        role = _ROLES[i % len(_ROLES)]
        name = f"{poller.site}-{role}-{i + 1:03d}"
        severity = rng.choice(host_sevs) if rng.random() < 0.4 else None
        host = Host(
            kind=HOST_KIND,
            poller=poller,
            check_command="base_host_alive",
            max_check_attempts=rng.choice((3, 3, 3, 5)),
            check_interval=5,
            retry_interval=1,
            notes_url=f"https://wiki.example.com/hosts/{name}" if rng.random() < 0.7 else "",
            action_url=f"https://grafana.example.com/d/hosts?var-host={name}" if rng.random() < 0.5 else "",
            severity=severity,
            host_id=10 + i,
            name=name,
            alias=f"{role.capitalize()} server {i + 1}",
            address=f"10.{poller.instance_id}.{i // 250}.{i % 250 + 1}",
        )
        host.custom_variables.append(("SNMPVERSION", "2c"))
        if severity is not None:
            host.custom_variables.append(("CRITICALITY_LEVEL", str(severity.level)))
            host.custom_variables.append(("CRITICALITY_ID", str(severity.id)))
        os_name = "Linux-Servers" if rng.random() < 0.75 else "Windows-Servers"
        for groups, group_name in (
            (role_groups, f"{role.capitalize()}-Servers"),
            (site_groups, f"Site-{poller.site.upper()}"),
            (os_groups, os_name),
        ):
            if group_name not in groups:
                groups[group_name] = HostGroup(0, group_name)
            groups[group_name].members.append(host)
            host.groups.append(groups[group_name])
        for j in range(services_per_host):
            if j < len(_SERVICE_TEMPLATES):
                description, command, family, network, thresholds = _SERVICE_TEMPLATES[j]
            else:
                description = f"Disk-/data{j - len(_SERVICE_TEMPLATES) + 1}"
                command, family, network, thresholds = "OS-Linux-SNMP-Disk-Name", "disk", False, True
            svc_severity = rng.choice(svc_sevs) if rng.random() < 0.25 else None
            service = Service(
                kind=SERVICE_KIND,
                poller=poller,
                check_command=command,
                max_check_attempts=rng.choice((3, 3, 3, 3, 3, 3, 3, 3, 1, 5)),
                check_interval=rng.choice((5, 5, 5, 5, 5, 5, 5, 5, 2, 10)),
                retry_interval=1,
                notes_url=f"https://wiki.example.com/checks/{family}" if rng.random() < 0.3 else "",
                action_url="",
                severity=svc_severity,
                host=host,
                service_id=next_service_id,
                description=description,
                family=family,
                network=network,
            )
            next_service_id += 1
            if svc_severity is not None:
                service.custom_variables.append(("CRITICALITY_LEVEL", str(svc_severity.level)))
                service.custom_variables.append(("CRITICALITY_ID", str(svc_severity.id)))
            if thresholds:
                service.custom_variables.append(("WARNING", "80"))
                service.custom_variables.append(("CRITICAL", "90"))
            group_name = _SERVICE_GROUP_OF_FAMILY[family]
            if group_name not in service_groups:
                service_groups[group_name] = ServiceGroup(0, group_name)
            service_groups[group_name].members.append(service)
            service.groups.append(service_groups[group_name])
            if severity is not None and family in ("ping", "http"):
                if "Critical-Apps" not in service_groups:
                    service_groups["Critical-Apps"] = ServiceGroup(0, "Critical-Apps")
                service_groups["Critical-Apps"].members.append(service)
                service.groups.append(service_groups["Critical-Apps"])
            host.services.append(service)
            service_list.append(service)
        host_list.append(host)

    host_groups = [*role_groups.values(), *site_groups.values(), *os_groups.values()]
    for number, hg in enumerate(host_groups, start=1):
        hg.id = number
    sg_list = list(service_groups.values())
    for number, sg in enumerate(sg_list, start=1):
        sg.id = number

    bv_list: list[BusinessView] = []
    ba_list: list[BusinessActivity] = []
    if bas > 0 and service_list:
        bv_count = max(1, min(len(_BV_NAMES), bas // 3 + 1))
        bv_list = [
            BusinessView(i + 1, f"BV-{_BV_NAMES[i]}", f"Business view {_BV_NAMES[i]}")
            for i in range(bv_count)
        ]
        for i in range(bas):
            label = _BA_NAMES[i % len(_BA_NAMES)] + ("" if i < len(_BA_NAMES) else f"-{i + 1}")
            kpis = rng.sample(service_list, min(len(service_list), rng.randint(2, 5)))
            kpis.sort(key=lambda s: s.service_id)
            views = rng.sample(bv_list, min(len(bv_list), rng.choice((1, 1, 2))))
            views.sort(key=lambda v: v.bv_id)
            ba = BusinessActivity(i + 1, f"BA-{label}", f"Business activity {label}", kpis, views)
            for kpi in kpis:
                kpi.bas.append(ba)
            ba_list.append(ba)
        # Centreon puts one virtual host on the central poller and one passive service per BA.
        central = poller_list[0]
        bam_host = Host(
            kind=HOST_KIND,
            poller=central,
            check_command="check_centreon_dummy",
            max_check_attempts=3,
            check_interval=5,
            retry_interval=1,
            host_id=10 + hosts,
            name=BAM_HOST_NAME,
            alias="Centreon BAM Module",
            address="127.0.0.1",
            virtual=True,
        )
        for ba in ba_list:
            service = Service(
                kind=SERVICE_KIND,
                poller=central,
                check_command="centreon-bam-check",
                max_check_attempts=1,
                check_interval=5,
                retry_interval=1,
                active_checks=False,
                host=bam_host,
                service_id=next_service_id,
                description=f"ba_{ba.ba_id}",
                family="ba",
                service_type=SERVICE_TYPE_BA,
                internal_id=ba.ba_id,
            )
            next_service_id += 1
            ba.service = service
            bam_host.services.append(service)
            service_list.append(service)
        host_list.append(bam_host)

    return Topology(
        pollers=poller_list,
        severities=[*host_sevs, *svc_sevs],
        hosts=host_list,
        services=service_list,
        host_groups=host_groups,
        service_groups=sg_list,
        bvs=bv_list,
        bas=ba_list,
    )
