"""Inputs of `Network`: its Args, the choices they offer and the checks they make."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from components.common.shared import MYSQL_PORT, check_log_retention, check_one_of
from components.network.subnets import subnet_layout

NatStrategy = Literal["none", "single", "per-az"]
NAT_STRATEGIES: tuple[NatStrategy, ...] = ("none", "single", "per-az")
FlowLogTrafficType = Literal["ALL", "ACCEPT", "REJECT"]
FLOW_LOG_TRAFFIC_TYPES: tuple[FlowLogTrafficType, ...] = ("ALL", "ACCEPT", "REJECT")
MIN_AZ_COUNT = 2
MAX_AZ_COUNT = 6
ANYWHERE_IPV4 = "0.0.0.0/0"
SSH_PORT = 22
HTTP_PORT = 80
HTTPS_PORT = 443
EPHEMERAL_PORTS = (1024, 65535)
TCP = "tcp"
ALL_PROTOCOLS = "-1"


@dataclass(frozen=True)
class NetworkArgs:
    """Inputs of `Network`. Secure by default: no SSH, no public IPs, flow logs on.

    - `vpc_cidr`: a private IPv4 block between /16 and /28 (`10.0.0.0/16`).
    - `availability_zone_count`: 2 to 6 (2); the region's first standard zones are used, unless
      `availability_zones` names them (then their number counts).
    - `public_subnet_prefix_length` (24) / `private_subnet_prefix_length` (20): one public and
      one private block per AZ carved from `vpc_cidr` in order; or `public_subnet_cidrs` /
      `private_subnet_cidrs` list the blocks, one per AZ in zone order.
    - `nat_strategy`: `none`, `single` (default) or `per-az`.
    - `admin_cidr`: the only source of SSH (bastion, public ACL); None = no SSH.
    - `flow_log_retention_days` (90), `flow_log_traffic_type` (`ALL`).
    """

    vpc_cidr: str = "10.0.0.0/16"
    availability_zone_count: int = 2
    availability_zones: Sequence[str] = ()
    public_subnet_prefix_length: int = 24
    private_subnet_prefix_length: int = 20
    public_subnet_cidrs: Sequence[str] = ()
    private_subnet_cidrs: Sequence[str] = ()
    nat_strategy: NatStrategy = "single"
    admin_cidr: str | None = None
    enable_bastion: bool = False
    map_public_ip_on_launch: bool = False
    flow_log_retention_days: int = 90
    flow_log_traffic_type: FlowLogTrafficType = "ALL"
    database_port: int = MYSQL_PORT
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        zones = self.zone_count
        if not MIN_AZ_COUNT <= zones <= MAX_AZ_COUNT:
            given = (
                f"availability_zones: {list(self.availability_zones)!r} names {zones} zones"
                if self.availability_zones
                else f"availability_zone_count: {zones}"
            )
            raise ValueError(f"{given}; a network needs {MIN_AZ_COUNT} to {MAX_AZ_COUNT}")
        for name in ("public_subnet_cidrs", "private_subnet_cidrs"):
            blocks = getattr(self, name)
            if blocks and len(blocks) != zones:
                raise ValueError(f"{name}: {list(blocks)!r} must have one block per AZ ({zones})")
        check_one_of("nat_strategy", self.nat_strategy, NAT_STRATEGIES)
        check_one_of("flow_log_traffic_type", self.flow_log_traffic_type, FLOW_LOG_TRAFFIC_TYPES)
        if (reason := check_log_retention(self.flow_log_retention_days)) is not None:
            raise ValueError(f"flow_log_retention_days: {self.flow_log_retention_days} {reason}")
        if self.admin_cidr is not None and ipaddress.ip_network(self.admin_cidr).prefixlen == 0:
            raise ValueError(f"admin_cidr: {self.admin_cidr!r} would open SSH to the internet")
        if self.enable_bastion and self.admin_cidr is None:
            raise ValueError("enable_bastion: True needs admin_cidr, the only source of SSH")
        self.subnet_layout()  # raises SubnetsDoNotFit when the blocks do not fit

    @property
    def zone_count(self) -> int:
        return len(self.availability_zones) or self.availability_zone_count

    def subnet_layout(self) -> tuple[list[str], list[str]]:
        """The public and private subnet blocks, one of each per AZ, in AZ order."""
        return subnet_layout(
            self.vpc_cidr,
            self.zone_count,
            public=(self.public_subnet_prefix_length, self.public_subnet_cidrs),
            private=(self.private_subnet_prefix_length, self.private_subnet_cidrs),
        )
