"""The network section of the stack config: `Network`'s Args."""

from __future__ import annotations

import ipaddress

from components.config import stack
from components.config.reader import Reader, in_range
from components.network.args import (
    FLOW_LOG_TRAFFIC_TYPES,
    MAX_AZ_COUNT,
    MIN_AZ_COUNT,
    NAT_STRATEGIES,
    FlowLogTrafficType,
    NatStrategy,
    NetworkArgs,
)
from components.network.subnets import LARGEST_BLOCK_PREFIX, SMALLEST_BLOCK_PREFIX, SubnetsDoNotFit

KEYS = (
    "vpcCidr",
    "availabilityZoneCount",
    "publicSubnetPrefixLength",
    "privateSubnetPrefixLength",
    "publicSubnetCidrs",
    "privateSubnetCidrs",
    "natStrategy",
    "adminCidr",
    "enableBastion",
    "mapPublicIpOnLaunch",
    "flowLogTrafficType",
)
PRIVATE_IPV4_RANGES = tuple(
    ipaddress.IPv4Network(cidr) for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)


def parse(reader: Reader) -> NetworkArgs:
    defaults = NetworkArgs()
    problems_before = len(reader.problems)
    vpc = _vpc_network(reader, reader.string("vpcCidr", defaults.vpc_cidr))
    block_prefix = in_range(LARGEST_BLOCK_PREFIX, SMALLEST_BLOCK_PREFIX)
    zone_count = reader.integer(
        "availabilityZoneCount",
        defaults.availability_zone_count,
        in_range(MIN_AZ_COUNT, MAX_AZ_COUNT),
    )
    public_prefix = reader.integer(
        "publicSubnetPrefixLength", defaults.public_subnet_prefix_length, block_prefix
    )
    private_prefix = reader.integer(
        "privateSubnetPrefixLength", defaults.private_subnet_prefix_length, block_prefix
    )
    explicit = {key: reader.string_list(key) for key in ("publicSubnetCidrs", "privateSubnetCidrs")}
    admin_cidr = _admin_cidr(reader)
    enable_bastion = reader.boolean("enableBastion", defaults.enable_bastion)
    if enable_bastion and not reader.raw.get("adminCidr", "").strip():
        reader.problem(
            "enableBastion", "true", "needs adminCidr: the bastion admits SSH only from it"
        )
    nat_strategy: NatStrategy = reader.choice("natStrategy", defaults.nat_strategy, NAT_STRATEGIES)
    map_public_ip = reader.boolean("mapPublicIpOnLaunch", defaults.map_public_ip_on_launch)
    retention = stack.log_retention(reader, "flowLogRetentionDays")
    traffic: FlowLogTrafficType = reader.choice(
        "flowLogTrafficType", defaults.flow_log_traffic_type, FLOW_LOG_TRAFFIC_TYPES
    )
    if vpc is None or len(reader.problems) > problems_before:
        return defaults
    if not _explicit_blocks_valid(reader, vpc, zone_count, explicit):
        return defaults
    try:
        return NetworkArgs(
            vpc_cidr=str(vpc),
            availability_zone_count=zone_count,
            public_subnet_prefix_length=public_prefix,
            private_subnet_prefix_length=private_prefix,
            public_subnet_cidrs=explicit["publicSubnetCidrs"],
            private_subnet_cidrs=explicit["privateSubnetCidrs"],
            nat_strategy=nat_strategy,
            admin_cidr=admin_cidr,
            enable_bastion=enable_bastion,
            map_public_ip_on_launch=map_public_ip,
            flow_log_retention_days=retention,
            flow_log_traffic_type=traffic,
        )
    except SubnetsDoNotFit:
        reader.problem(
            "privateSubnetPrefixLength"
            if explicit["publicSubnetCidrs"]
            else "publicSubnetPrefixLength",
            f"/{public_prefix} public and /{private_prefix} private",
            f"subnets for {zone_count} AZs do not fit in vpcCidr {vpc}",
        )
        return defaults


def _vpc_network(reader: Reader, value: str) -> ipaddress.IPv4Network | None:
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        reader.problem("vpcCidr", value, "is not an IPv4 network in CIDR form (like 10.0.0.0/16)")
        return None
    if not any(network.subnet_of(private) for private in PRIVATE_IPV4_RANGES):
        reader.problem(
            "vpcCidr",
            value,
            "is not inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)",
        )
        return None
    if not LARGEST_BLOCK_PREFIX <= network.prefixlen <= SMALLEST_BLOCK_PREFIX:
        reader.problem("vpcCidr", value, "must have a prefix length between /16 and /28")
        return None
    return network


def _admin_cidr(reader: Reader) -> str | None:
    value = reader.optional("adminCidr")
    if value is None:
        return None
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        reader.problem("adminCidr", value, "is not a network in CIDR form (like 203.0.113.7/32)")
        return None
    if network.prefixlen == 0:
        reader.problem(
            "adminCidr", value, "would open SSH to the whole internet; give your own address range"
        )
        return None
    return str(network)


def _explicit_blocks_valid(
    reader: Reader,
    vpc: ipaddress.IPv4Network,
    zone_count: int,
    explicit: dict[str, tuple[str, ...]],
) -> bool:
    problems_before = len(reader.problems)
    seen: list[ipaddress.IPv4Network] = []
    for key, cidrs in explicit.items():
        if not cidrs:
            continue
        if len(cidrs) != zone_count:
            reader.problem(key, list(cidrs), f"must list exactly one block per AZ ({zone_count})")
        for cidr in cidrs:
            block = _subnet_block(reader, key, cidr, vpc)
            if block is None:
                continue
            clash = next((other for other in seen if other.overlaps(block)), None)
            if clash is not None:
                reader.problem(key, cidr, f"overlaps another subnet block ({clash})")
            seen.append(block)
    return len(reader.problems) == problems_before


def _subnet_block(
    reader: Reader, key: str, cidr: str, vpc: ipaddress.IPv4Network
) -> ipaddress.IPv4Network | None:
    try:
        block = ipaddress.IPv4Network(cidr, strict=True)
    except ValueError:
        reader.problem(key, cidr, "is not an IPv4 network in CIDR form")
        return None
    if not block.subnet_of(vpc):
        reader.problem(key, cidr, f"is not inside vpcCidr {vpc}")
        return None
    if block.prefixlen > SMALLEST_BLOCK_PREFIX:
        reader.problem(key, cidr, "is smaller than /28, the smallest subnet AWS allows")
        return None
    return block
