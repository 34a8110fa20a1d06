"""The platform: stack config -> validated settings -> components -> stack outputs."""

import pulumi

from components.chalice_api import ChaliceApi, ChaliceApiArgs
from components.config import load_settings, subnet_layout
from components.database import Database, DatabaseArgs
from components.file_system import FileSystem, FileSystemArgs
from components.network import Network, NetworkArgs, availability_zone_names
from components.packaging import PROJECT_DIR
from components.storage import CorsRule, EncryptedBucket, EncryptedBucketArgs
from components.uptime_monitor import UptimeMonitor, UptimeMonitorArgs

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

# Data stores of the notes' WordPress design: MySQL and EFS in the private subnets only, and the
# media, code and access-log buckets (bucket names start with project and stack, so the log
# bucket can name exactly whose logs it accepts).
database_settings = settings.database
database = Database(
    "platform-db",
    DatabaseArgs(
        subnet_ids=network.private_subnet_ids,
        subnet_availability_zones=network.availability_zones,
        security_group_ids=[network.database_security_group_id],
        engine_version=database_settings.engine_version,
        instance_class=database_settings.instance_class,
        allocated_storage_gb=database_settings.allocated_storage_gb,
        db_name=database_settings.db_name,
        username=database_settings.username,
        password=database_settings.password,
        backup_retention_days=database_settings.backup_retention_days,
        multi_az=database_settings.multi_az,
        deletion_protection=database_settings.deletion_protection,
        final_snapshot=database_settings.final_snapshot,
    ),
)
file_system = FileSystem(
    "platform-files",
    FileSystemArgs(
        subnet_ids=network.private_subnet_ids,
        security_group_ids=[network.file_system_security_group_id],
        performance_mode=settings.file_system.performance_mode,
        throughput_mode=settings.file_system.throughput_mode,
    ),
)
storage_settings = settings.storage
bucket_prefix = f"{settings.project}-{settings.stack}"
log_bucket = EncryptedBucket(
    "platform-access-logs",
    EncryptedBucketArgs(
        bucket_prefix=f"{bucket_prefix}-logs-",
        access_log_source_prefixes=(f"{bucket_prefix}-media-", f"{bucket_prefix}-code-"),
        sse_algorithm="AES256",  # S3 log delivery supports SSE-S3 only
        noncurrent_version_expiration_days=storage_settings.noncurrent_version_expiration_days,
    ),
)
cors_rules = (
    (CorsRule(allowed_origins=storage_settings.cors_allowed_origins),)
    if storage_settings.cors_allowed_origins
    else ()
)
content_buckets = {
    role: EncryptedBucket(
        f"platform-{role}",
        EncryptedBucketArgs(
            bucket_prefix=f"{bucket_prefix}-{role}-",
            access_log_bucket=log_bucket,
            sse_algorithm=storage_settings.sse_algorithm,
            kms_key_arn=storage_settings.kms_key_arn,
            noncurrent_version_expiration_days=storage_settings.noncurrent_version_expiration_days,
            # Browsers load WordPress media from the media bucket (lesson 14); code is not served.
            cors_rules=cors_rules if role == "media" else (),
        ),
    )
    for role in ("media", "code")
}

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

# The uptime monitor of the notes (Zappa + Flask + SNS SMS): functions/uptime_monitor on Lambda,
# checked on a schedule, alerting the (secret) phone number; the number is never exported.
monitor_settings = settings.monitor
uptime_monitor = UptimeMonitor(
    "uptime-monitor",
    UptimeMonitorArgs(
        sites=monitor_settings.sites,
        schedule_minutes=monitor_settings.schedule_minutes,
        failure_threshold=monitor_settings.failure_threshold,
        timeout_seconds=monitor_settings.timeout_seconds,
        max_workers=monitor_settings.max_workers,
        alert_phone_number=monitor_settings.alert_phone_number,
        alert_email=monitor_settings.alert_email,
        authorization=monitor_settings.authorization,
        log_retention_days=monitor_settings.log_retention_days,
    ),
)

pulumi.export("vpcId", network.vpc_id)
pulumi.export("availabilityZones", network.availability_zones)
pulumi.export("publicSubnetIds", network.public_subnet_ids)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("natGatewayCount", len(network.nat_gateway_ids))
pulumi.export("dbEndpoint", database.endpoint)
pulumi.export("dbAddress", database.address)
pulumi.export("dbPort", database.port)
pulumi.export("dbName", database.db_name)
pulumi.export("dbUsername", database.username)
# Where RDS keeps the generated password (an ARN, not the password); absent with dbPassword.
if database.secret_arn is not None:
    pulumi.export("dbSecretArn", database.secret_arn)
pulumi.export("fileSystemId", file_system.file_system_id)
pulumi.export("fileSystemDnsName", file_system.dns_name)
pulumi.export("fileSystemAccessPointId", file_system.access_point_id)
pulumi.export("fileSystemFstabLine", file_system.fstab_line)
pulumi.export("mediaBucketName", content_buckets["media"].bucket_name)
pulumi.export("codeBucketName", content_buckets["code"].bucket_name)
pulumi.export("accessLogBucketName", log_bucket.bucket_name)
pulumi.export("md5ApiUrl", md5_api.url)
pulumi.export("md5ApiFunctionName", md5_api.function_name)
pulumi.export("monitorUrl", uptime_monitor.url)
pulumi.export("alertTopicArn", uptime_monitor.topic_arn)
pulumi.export("monitorTableName", uptime_monitor.table_name)
pulumi.export("monitorDashboardName", uptime_monitor.dashboard_name)
