"""Stack config -> settings (each component's Args) -> components -> outputs; only wiring here."""

from dataclasses import replace

import pulumi

from components.chalice_api import ChaliceApi
from components.database import Database
from components.edge import Edge
from components.file_system import FileSystem
from components.network import Network
from components.settings import load_settings
from components.storage import EncryptedBucket
from components.uptime_monitor import UptimeMonitor
from components.wiring.messaging import messaging_systems

settings = load_settings()
network = Network("platform", settings.network)

# The notes' data stores: MySQL and EFS in private subnets; buckets log to the access-log bucket.
database = Database(
    "platform-db",
    replace(
        settings.database,
        subnet_ids=network.private_subnet_ids,
        subnet_availability_zones=network.availability_zones,
        security_group_ids=[network.database_security_group_id],
    ),
)
file_system = FileSystem(
    "platform-files",
    replace(
        settings.file_system,
        subnet_ids=network.private_subnet_ids,
        security_group_ids=[network.file_system_security_group_id],
    ),
)
log_bucket = EncryptedBucket("platform-access-logs", settings.buckets.access_logs)
content_buckets = {
    role: EncryptedBucket(f"platform-{role}", replace(args, access_log_bucket=log_bucket))
    for role, args in settings.buckets.content.items()
}
# The notes' apps (md5 API, uptime monitor); the edge in front: WAF, CloudFront, certificates, DNS.
md5_api = ChaliceApi("md5-api", settings.api)
uptime_monitor = UptimeMonitor("uptime-monitor", settings.monitor)
edge = Edge("platform-edge", settings.edge.wired(content_buckets, md5_api, uptime_monitor))

for outputs in (
    network.exports(),
    database.exports(),
    file_system.exports(),
    *(bucket.exports(role) for role, bucket in content_buckets.items()),
    log_bucket.exports("accessLog"),
    md5_api.exports("md5Api"),
    uptime_monitor.exports(),
    *messaging_systems(settings, log_bucket, content_buckets),
    edge.exports(),
):
    for output_name, value in outputs.items():
        pulumi.export(output_name, value)
