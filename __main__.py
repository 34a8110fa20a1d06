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
from components.web_tier import WebTier
from components.wiring.messaging import messaging_systems

settings = load_settings()
network = Network("platform", settings.network)

# The notes' data stores: MySQL and EFS in private subnets; buckets log to the access-log bucket.
database = Database("platform-db", settings.database.in_network(network))
file_system = FileSystem("platform-files", settings.file_system.in_network(network))
log_bucket = EncryptedBucket("platform-access-logs", settings.buckets.access_logs)
content_buckets = {
    role: EncryptedBucket(f"platform-{role}", replace(args, access_log_bucket=log_bucket))
    for role, args in settings.buckets.content.items()
}

# The notes' apps: md5 API (Chalice), uptime monitor (Flask), WordPress site (web tier).
md5_api = ChaliceApi("md5-api", settings.api)
uptime_monitor = UptimeMonitor("uptime-monitor", settings.monitor)
media_bucket = content_buckets["media"]
web_args = settings.web.wired(
    network, database, file_system, media_bucket, log_bucket, uptime_monitor
)
web = WebTier("platform-web", web_args)
# The edge in front of the site, its media and the APIs: WAF, CloudFront, certificates, DNS.
edge_args = settings.edge.wired(content_buckets, md5_api, uptime_monitor, web, network)
edge = Edge("platform-edge", edge_args)

for outputs in (
    network.exports(),
    database.exports(),
    file_system.exports(),
    *(bucket.exports(role) for role, bucket in content_buckets.items()),
    log_bucket.exports("accessLog"),
    md5_api.exports("md5Api"),
    uptime_monitor.exports(),
    *messaging_systems(settings, log_bucket, content_buckets),
    web.exports(),
    edge.exports(),
):
    for output_name, value in outputs.items():
        pulumi.export(output_name, value)
