"""Stack config -> settings (each component's Args) -> components -> outputs; only wiring here."""

import pulumi

from components.api import ChaliceApi
from components.common.outputs import exported_outputs
from components.data import Database, EncryptedBucket, EncryptionKey, FileSystem
from components.edge import Edge
from components.messaging import Fanout, Stream, UploadPipeline
from components.monitor import UptimeMonitor
from components.network import Network
from components.settings import load_settings
from components.web import WebTier

settings = load_settings()
network = Network("platform", settings.network)

# The notes' data stores: MySQL and EFS in private subnets; buckets log to the access-log bucket.
database = Database("platform-db", settings.database.in_network(network))
file_system = FileSystem("platform-files", settings.file_system.in_network(network))
log_bucket = EncryptedBucket("platform-access-logs", settings.buckets.access_logs)
buckets = {
    role: EncryptedBucket(f"platform-{role}", args.wired(log_bucket))
    for role, args in settings.buckets.content.items()
}

# The notes' apps: md5 API (Chalice), uptime monitor (Flask), WordPress site (web tier).
md5_api = ChaliceApi("md5-api", settings.api)
monitor = UptimeMonitor("uptime-monitor", settings.monitor)
web = WebTier(
    "platform-web",
    settings.web.wired(network, database, file_system, buckets["media"], log_bucket, monitor),
)
# The edge in front of the site, its media and the APIs: WAF, CloudFront, certificates, DNS.
edge = Edge("platform-edge", settings.edge.wired(buckets, md5_api, monitor, web, network))

# Messaging (seed 002): SNS -> SQS fan-out, Kinesis -> Firehose -> its own SSE-KMS bucket,
# and the upload pipeline on the media bucket.
messaging = settings.messaging
fanout = Fanout("platform-fanout", messaging.fanout)
stream_key = EncryptionKey("platform-stream-key", settings.buckets.stream_key)
stream_bucket = EncryptedBucket(
    "platform-stream", settings.buckets.stream.wired(log_bucket, stream_key)
)
stream = Stream("platform-stream", messaging.stream.wired(stream_bucket, stream_key))
uploads = UploadPipeline("platform-uploads", messaging.uploads.wired(buckets["media"]))

for outputs in (
    exported_outputs(network),
    exported_outputs(database),
    exported_outputs(file_system),
    *(exported_outputs(bucket, role) for role, bucket in buckets.items()),
    exported_outputs(log_bucket, "accessLog"),
    exported_outputs(md5_api, "md5Api"),
    exported_outputs(monitor),
    exported_outputs(fanout),
    fanout.queue_exports(),
    exported_outputs(stream),
    exported_outputs(stream_bucket, "stream"),
    exported_outputs(uploads),
    exported_outputs(web),
    exported_outputs(edge),
):
    for output_name, value in outputs.items():
        pulumi.export(output_name, value)
