"""The edge: CloudFront, WAF, certificates, DNS and the maintenance page."""

from components.edge.edge import Edge, EdgeArgs

__all__ = ["Edge", "EdgeArgs"]
