"""The network: VPC, subnets, NAT, route tables, ACLs, security groups per tier, flow logs."""

from components.network.args import NetworkArgs
from components.network.network import Network

__all__ = ["Network", "NetworkArgs"]
