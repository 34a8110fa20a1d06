"""The platform: stack config -> validated settings -> components -> stack outputs."""

import pulumi

from components.chalice_api import ChaliceApi, ChaliceApiArgs
from components.config import load_settings, subnet_layout
from components.network import Network, NetworkArgs, availability_zone_names
from components.packaging import PROJECT_DIR

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

# The md5 API of the notes: functions/md5_api on Lambda behind API Gateway, as `chalice deploy`.
api_settings = settings.api
md5_api = ChaliceApi(
    "md5-api",
    ChaliceApiArgs(
        app_dir=PROJECT_DIR / "functions" / "md5_api",
        authorization=api_settings.authorization,
        throttle_rate_limit=api_settings.throttle_rate_limit,
        throttle_burst_limit=api_settings.throttle_burst_limit,
        log_retention_days=api_settings.log_retention_days,
        memory_mb=api_settings.memory_mb,
        timeout_seconds=api_settings.timeout_seconds,
    ),
)

pulumi.export("vpcId", network.vpc_id)
pulumi.export("availabilityZones", network.availability_zones)
pulumi.export("publicSubnetIds", network.public_subnet_ids)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("natGatewayCount", len(network.nat_gateway_ids))
pulumi.export("md5ApiUrl", md5_api.url)
pulumi.export("md5ApiFunctionName", md5_api.function_name)
