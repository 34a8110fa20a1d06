"""The platform: stack config -> validated settings -> components -> stack outputs."""

import pulumi

from components.config import load_settings, subnet_layout
from components.network import Network, NetworkArgs, availability_zone_names

settings = load_settings()
network_settings = settings.network
public_subnet_cidrs, private_subnet_cidrs = subnet_layout(network_settings)

network = Network(
    "platform",
    NetworkArgs(
        vpc_cidr=network_settings.vpc_cidr,
        availability_zones=availability_zone_names(network_settings.availability_zone_count),
        public_subnet_cidrs=public_subnet_cidrs,
        private_subnet_cidrs=private_subnet_cidrs,
        nat_strategy=network_settings.nat_strategy,
        admin_cidr=network_settings.admin_cidr,
        enable_bastion=network_settings.enable_bastion,
        map_public_ip_on_launch=network_settings.map_public_ip_on_launch,
        flow_log_retention_days=network_settings.flow_log_retention_days,
        flow_log_traffic_type=network_settings.flow_log_traffic_type,
    ),
)

pulumi.export("vpcId", network.vpc_id)
pulumi.export("availabilityZones", network.availability_zones)
pulumi.export("publicSubnetIds", network.public_subnet_ids)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("natGatewayCount", len(network.nat_gateway_ids))
