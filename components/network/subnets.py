"""The address plan of a VPC: public and private subnet blocks, one of each per AZ."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

# AWS allows VPC and subnet blocks between /16 and /28.
LARGEST_BLOCK_PREFIX = 16
SMALLEST_BLOCK_PREFIX = 28


class SubnetsDoNotFit(ValueError):
    """The public and private subnet blocks do not fit in the VPC block."""


def subnet_layout(
    vpc_cidr: str,
    zone_count: int,
    *,
    public: tuple[int, Sequence[str]],
    private: tuple[int, Sequence[str]],
) -> tuple[list[str], list[str]]:
    """The public and private blocks, in AZ order, each tier given as (prefix length, explicit
    blocks). Explicit blocks are used as given; otherwise blocks are carved from the VPC block
    in order, public subnets first, each aligned to its own size and never overlapping an
    earlier one."""
    vpc = ipaddress.IPv4Network(vpc_cidr)
    taken = [ipaddress.IPv4Network(cidr) for cidr in (*public[1], *private[1])]
    public_blocks = list(public[1]) or _carve(vpc, public[0], zone_count, taken)
    private_blocks = list(private[1]) or _carve(vpc, private[0], zone_count, taken)
    return public_blocks, private_blocks


def _carve(
    vpc: ipaddress.IPv4Network, prefix: int, count: int, taken: list[ipaddress.IPv4Network]
) -> list[str]:
    carved: list[str] = []
    if prefix >= vpc.prefixlen:
        for candidate in vpc.subnets(new_prefix=prefix):
            if len(carved) == count:
                break
            if not any(candidate.overlaps(block) for block in taken):
                taken.append(candidate)
                carved.append(str(candidate))
    if len(carved) < count:
        raise SubnetsDoNotFit(
            f"/{prefix} subnets for {count} AZs do not fit in vpc_cidr {vpc} beside {taken}"
        )
    return carved
