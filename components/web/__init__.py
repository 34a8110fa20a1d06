"""The WordPress web tier: load balancer, Auto Scaling group of nodes, their boot script."""

from components.web.args import WebTierArgs
from components.web.tier import WebTier

__all__ = ["WebTier", "WebTierArgs"]
