"""Stack settings: the one place that reads `pulumi.Config`.

`load_settings()` reads the stack's config, validates every value and returns a frozen
`Settings`. Every problem is reported at once, each naming the config key and the bad value,
and it is raised before the program registers a single resource.

`parse_settings()` does the work on a plain mapping of raw config strings, so tests and the
offline plan can call it without a Pulumi engine.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeVar, cast
from urllib.parse import urlsplit

import pulumi

NatStrategy = Literal["none", "single", "per-az"]
NAT_STRATEGIES: tuple[NatStrategy, ...] = ("none", "single", "per-az")

FlowLogTrafficType = Literal["ALL", "ACCEPT", "REJECT"]
FLOW_LOG_TRAFFIC_TYPES: tuple[FlowLogTrafficType, ...] = ("ALL", "ACCEPT", "REJECT")

ApiAuthorization = Literal["NONE", "AWS_IAM"]
API_AUTHORIZATIONS: tuple[ApiAuthorization, ...] = ("NONE", "AWS_IAM")
MIN_LAMBDA_MEMORY_MB = 128
MAX_LAMBDA_MEMORY_MB = 10240
# API Gateway ends a REST API's integration after 29 seconds.
MAX_API_TIMEOUT_SECONDS = 29
# API Gateway's default account quotas: 10,000 requests per second, bursts of 5,000.
MAX_API_THROTTLE_RATE_LIMIT = 10000
MAX_API_THROTTLE_BURST_LIMIT = 5000

# The values CloudWatch Logs accepts for a log group's retention, in days.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

PRIVATE_IPV4_RANGES = tuple(
    ipaddress.IPv4Network(cidr) for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
# AWS allows VPC and subnet blocks between /16 and /28.
LARGEST_BLOCK_PREFIX = 16
SMALLEST_BLOCK_PREFIX = 28
MIN_AZ_COUNT = 2
MAX_AZ_COUNT = 6


class SettingsError(ValueError):
    """Stack config that cannot be deployed. Each problem names its config key and value."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid stack configuration:\n  - " + "\n  - ".join(problems))


@dataclass(frozen=True)
class NetworkSettings:
    """How the VPC is laid out. Defaults match `Pulumi.yaml`."""

    vpc_cidr: str = "10.0.0.0/16"
    availability_zone_count: int = 2
    public_subnet_prefix_length: int = 24
    private_subnet_prefix_length: int = 20
    # Explicit subnet blocks, one per AZ; empty means "derive them from the VPC block".
    public_subnet_cidrs: tuple[str, ...] = ()
    private_subnet_cidrs: tuple[str, ...] = ()
    nat_strategy: NatStrategy = "single"
    # Source of SSH to the bastion and of port 22 in the public network ACL; None = no SSH.
    admin_cidr: str | None = None
    enable_bastion: bool = False
    map_public_ip_on_launch: bool = False
    flow_log_retention_days: int = 90
    flow_log_traffic_type: FlowLogTrafficType = "ALL"


# --- data stores: database, file system, buckets -----------------------------------------

# RDS for MySQL major versions this project supports, with the parameter group family of each.
MYSQL_FAMILIES = {"8.0": "mysql8.0", "8.4": "mysql8.4"}
MIN_BACKUP_RETENTION_DAYS = 1
MAX_BACKUP_RETENTION_DAYS = 35  # the most RDS keeps automated backups
# gp3 storage for RDS for MySQL: 20 GiB to 64 TiB.
MIN_DB_STORAGE_GB = 20
MAX_DB_STORAGE_GB = 65536
EFS_PERFORMANCE_MODES = ("generalPurpose", "maxIO")
EFS_THROUGHPUT_MODES = ("bursting", "elastic", "provisioned")
SseAlgorithm = Literal["AES256", "aws:kms"]
SSE_ALGORITHMS: tuple[SseAlgorithm, ...] = ("AES256", "aws:kms")
CORS_METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")
_ENGINE_VERSION = re.compile(r"^(\d+\.\d+)(\.\d+)?$")
_INSTANCE_CLASS = re.compile(r"^db\.[a-z0-9]+\.[a-z0-9]+$")
_DB_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_DB_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,15}$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[A-Za-z0-9/_-]+$")
_ORIGIN = re.compile(r"^https?://(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$")


def check_engine_version(version: str) -> str | None:
    match = _ENGINE_VERSION.match(version)
    if match is None or match.group(1) not in MYSQL_FAMILIES:
        return f"must be a MySQL version of a supported major ({', '.join(MYSQL_FAMILIES)}), like 8.0 or 8.0.40"
    return None


def mysql_family(version: str) -> str:
    """The DB parameter group family of a MySQL engine version (`8.0.40` -> `mysql8.0`)."""
    return MYSQL_FAMILIES[".".join(version.split(".")[:2])]


def check_instance_class(value: str) -> str | None:
    if _INSTANCE_CLASS.match(value):
        return None
    return "must be an RDS instance class like db.t3.micro"


def check_db_name(value: str) -> str | None:
    if _DB_NAME.match(value):
        return None
    return "must start with a letter and hold only letters, digits and _ (at most 64)"


def check_db_username(value: str) -> str | None:
    if not _DB_USERNAME.match(value):
        return "must start with a letter and hold only letters, digits and _ (at most 16)"
    if value.lower() == "rdsadmin":
        return "is reserved by RDS"
    return None


def check_db_password(value: str) -> str | None:
    """RDS for MySQL master passwords: 8 to 41 printable ASCII, without / " @ or spaces."""
    if not 8 <= len(value) <= 41:
        return "must be 8 to 41 characters long"
    if any(not 33 <= ord(char) <= 126 or char in '/"@' for char in value):
        return 'must be printable ASCII without /, ", @ or spaces'
    return None


def check_kms_key_arn(value: str) -> str | None:
    return None if _KMS_KEY_ARN.match(value) else "is not a KMS key or alias ARN"


def check_cors_origin(value: str) -> str | None:
    if value == "*":
        return "would let every website use the bucket; list your own sites' origins (lesson 14)"
    if not _ORIGIN.match(value):
        return "must be an origin like https://www.example.com (scheme, host, optional port)"
    return None


@dataclass(frozen=True)
class DatabaseSettings:
    """The RDS MySQL database. Defaults match `Pulumi.yaml`: a small, single-AZ database."""

    engine_version: str = "8.0"
    instance_class: str = "db.t3.micro"
    allocated_storage_gb: int = 20
    db_name: str = "wordpress"
    username: str = "wpadmin"
    backup_retention_days: int = 7
    multi_az: bool = False
    deletion_protection: bool = False
    final_snapshot: bool = False
    # The master password as a Pulumi secret; None = RDS manages it in Secrets Manager.
    password: pulumi.Output[str] | None = None


@dataclass(frozen=True)
class FileSystemSettings:
    """The EFS file system. Defaults match `Pulumi.yaml`."""

    performance_mode: str = "generalPurpose"
    throughput_mode: str = "elastic"


@dataclass(frozen=True)
class StorageSettings:
    """The S3 buckets. Defaults match `Pulumi.yaml`: SSE-S3, no CORS, old versions kept 90 days."""

    sse_algorithm: SseAlgorithm = "AES256"
    kms_key_arn: str | None = None
    cors_allowed_origins: tuple[str, ...] = ()
    noncurrent_version_expiration_days: int = 90


@dataclass(frozen=True)
class ApiSettings:
    """The md5 API (`ChaliceApi`). Defaults match `Pulumi.yaml`: IAM-signed requests only."""

    # AWS_IAM: callers sign requests (SigV4) and need execute-api:Invoke; NONE: public.
    authorization: ApiAuthorization = "AWS_IAM"
    # Requests per second, and burst, for every method of the stage.
    throttle_rate_limit: int = 10
    throttle_burst_limit: int = 20
    log_retention_days: int = 90
    memory_mb: int = 128
    # At most 29: API Gateway ends a REST integration after 29 seconds.
    timeout_seconds: int = 10


# --- uptime monitor -------------------------------------------------------------------------

MAX_MONITOR_SCHEDULE_MINUTES = 1440  # once a day
MAX_MONITOR_FAILURE_THRESHOLD = 10
# Below API Gateway's 29 s integration timeout, so POST /ping always answers.
MAX_MONITOR_TIMEOUT_SECONDS = 25
MAX_MONITOR_WORKERS = 64
_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def is_email_address(value: str) -> bool:
    """A plausible address: one @, no spaces, a dot in the domain."""
    return _EMAIL.match(value) is not None


def check_site_url(value: str) -> str | None:
    """A monitored site: an http(s) URL with a host and no credentials."""
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        return "is not a URL"
    del port
    if parts.scheme not in ("http", "https"):
        return "must be an http or https URL"
    if not parts.hostname:
        return "has no host"
    if parts.username is not None or parts.password is not None:
        return "must not hold credentials (user:password@); they would sit in plain config"
    return None


@dataclass(frozen=True)
class MonitorSettings:
    """The uptime monitor (`UptimeMonitor`). Defaults match `Pulumi.yaml`."""

    sites: tuple[str, ...] = ()
    schedule_minutes: int = 5
    failure_threshold: int = 2
    timeout_seconds: int = 10
    max_workers: int = 32
    # The SMS destination as a Pulumi secret; None = no SMS subscription.
    alert_phone_number: pulumi.Output[str] | None = None
    alert_email: str | None = None
    authorization: ApiAuthorization = "AWS_IAM"
    log_retention_days: int = 90


@dataclass(frozen=True)
class Settings:
    """Everything the program needs from the stack's config, validated.

    One section per concern, each parsed by its own `_parse_<section>` function; a new setting
    is added to its section, to `KNOWN_KEYS` (and `SECRET_KEYS` if secret), to `Pulumi.yaml`
    and to the README's configuration table.
    """

    project: str
    stack: str
    network: NetworkSettings = field(default_factory=NetworkSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    file_system: FileSystemSettings = field(default_factory=FileSystemSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    monitor: MonitorSettings = field(default_factory=MonitorSettings)


def as_secret(value: str) -> pulumi.Output[str]:
    """A validated secret setting, kept a Pulumi secret from here on."""
    return pulumi.Output.secret(value)


def load_settings() -> Settings:
    """Read and validate the current stack's config (project namespace)."""
    config = pulumi.Config()
    project = pulumi.get_project()
    keys = sorted(set(KNOWN_KEYS) | _keys_set_in_namespace(project))
    raw = {key: value for key in keys if (value := config.get(key)) is not None}
    return parse_settings(raw, project=project, stack=pulumi.get_stack())


def _keys_set_in_namespace(project: str) -> set[str]:
    """Every key the stack sets in the project's namespace, so a misspelt one is caught.

    `pulumi.Config` reads one key at a time; the whole map is the runtime's `CONFIG`, or the
    `PULUMI_CONFIG` environment variable the language host may pass it in.
    """
    prefix = f"{project}:"
    every_key = {*pulumi.runtime.config.CONFIG.get(), *pulumi.runtime.config.get_config_env()}
    return {
        key.removeprefix(prefix).removeprefix("config:")
        for key in every_key
        if key.startswith(prefix)
    }


def parse_settings(raw: Mapping[str, str], *, project: str, stack: str) -> Settings:
    """Validate raw config strings (keys without the project prefix) into `Settings`."""
    reader = _Reader(raw, namespace=project)
    network = _parse_network(reader)
    api = _parse_api(reader)
    database = _parse_database(reader)
    file_system = _parse_file_system(reader)
    storage = _parse_storage(reader)
    monitor = _parse_monitor(reader)
    for key in sorted(set(raw) - set(KNOWN_KEYS)):
        reader.unknown_key(key)
    if reader.problems:
        raise SettingsError(reader.problems)
    return Settings(
        project=project,
        stack=stack,
        network=network,
        api=api,
        database=database,
        file_system=file_system,
        storage=storage,
        monitor=monitor,
    )


T = TypeVar("T")


class _Reader:
    """Reads typed values from raw config strings and collects problems instead of stopping."""

    def __init__(self, raw: Mapping[str, str], namespace: str):
        self.raw = raw
        self.namespace = namespace
        self.problems: list[str] = []

    def problem(self, key: str, value: object, reason: str) -> None:
        self.problems.append(f"{self.namespace}:{key} = {value!r} {reason}")

    def unknown_key(self, key: str) -> None:
        # Its value is not shown: a misspelt key may well hold a secret.
        known = ", ".join(KNOWN_KEYS)
        self.problems.append(
            f"{self.namespace}:{key} is not a setting of this project (known: {known})"
        )

    def secret_problem(self, key: str, reason: str) -> None:
        """A problem with a secret setting: named, but its value never shown."""
        self.problems.append(f"{self.namespace}:{key} = [secret] {reason}")

    def secret(self, key: str) -> str | None:
        """The plain value of a secret setting, for validation; wrap it with `as_secret`."""
        return self.raw.get(key) or None

    def string(self, key: str, default: str) -> str:
        return self.raw.get(key, default)

    def choice(self, key: str, default: T, choices: tuple[T, ...]) -> T:
        value = self.raw.get(key)
        if value is None:
            return default
        if value not in choices:
            self.problem(key, value, f"must be one of: {', '.join(map(str, choices))}")
            return default
        return cast(T, value)

    def integer(self, key: str, default: int, check: Callable[[int], str | None]) -> int:
        value = self.raw.get(key)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            self.problem(key, value, "must be a whole number")
            return default
        if (reason := check(number)) is not None:
            self.problem(key, value, reason)
            return default
        return number

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw.get(key)
        if value is None:
            return default
        if value.lower() not in ("true", "false"):
            self.problem(key, value, "must be true or false")
            return default
        return value.lower() == "true"

    def string_list(self, key: str) -> tuple[str, ...]:
        value = self.raw.get(key)
        if value is None:
            return ()
        try:
            items = json.loads(value)
        except json.JSONDecodeError:
            self.problem(key, value, "must be a list of strings")
            return ()
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            self.problem(key, value, "must be a list of strings")
            return ()
        return tuple(items)


def _in_range(low: int, high: int) -> Callable[[int], str | None]:
    return lambda number: None if low <= number <= high else f"must be between {low} and {high}"


def _parse_network(reader: _Reader) -> NetworkSettings:
    defaults = NetworkSettings()
    problems_before = len(reader.problems)
    vpc = _vpc_network(reader, reader.string("vpcCidr", defaults.vpc_cidr))
    az_count = reader.integer(
        "availabilityZoneCount",
        defaults.availability_zone_count,
        _in_range(MIN_AZ_COUNT, MAX_AZ_COUNT),
    )
    public_prefix = reader.integer(
        "publicSubnetPrefixLength",
        defaults.public_subnet_prefix_length,
        _in_range(LARGEST_BLOCK_PREFIX, SMALLEST_BLOCK_PREFIX),
    )
    private_prefix = reader.integer(
        "privateSubnetPrefixLength",
        defaults.private_subnet_prefix_length,
        _in_range(LARGEST_BLOCK_PREFIX, SMALLEST_BLOCK_PREFIX),
    )
    public_cidrs = reader.string_list("publicSubnetCidrs")
    private_cidrs = reader.string_list("privateSubnetCidrs")
    admin_cidr = _admin_cidr(reader)
    enable_bastion = reader.boolean("enableBastion", defaults.enable_bastion)
    if enable_bastion and not reader.raw.get("adminCidr", "").strip():
        reader.problem(
            "enableBastion", "true", "needs adminCidr: the bastion admits SSH only from it"
        )
    settings = NetworkSettings(
        vpc_cidr=str(vpc) if vpc else defaults.vpc_cidr,
        availability_zone_count=az_count,
        public_subnet_prefix_length=public_prefix,
        private_subnet_prefix_length=private_prefix,
        public_subnet_cidrs=public_cidrs,
        private_subnet_cidrs=private_cidrs,
        nat_strategy=reader.choice("natStrategy", defaults.nat_strategy, NAT_STRATEGIES),
        admin_cidr=admin_cidr,
        enable_bastion=enable_bastion,
        map_public_ip_on_launch=reader.boolean(
            "mapPublicIpOnLaunch", defaults.map_public_ip_on_launch
        ),
        flow_log_retention_days=reader.integer(
            "flowLogRetentionDays", defaults.flow_log_retention_days, _log_retention
        ),
        flow_log_traffic_type=reader.choice(
            "flowLogTrafficType", defaults.flow_log_traffic_type, FLOW_LOG_TRAFFIC_TYPES
        ),
    )
    if vpc is not None and len(reader.problems) == problems_before:
        _check_subnet_layout(reader, vpc, settings)
    return settings


def _parse_api(reader: _Reader) -> ApiSettings:
    defaults = ApiSettings()
    return ApiSettings(
        authorization=reader.choice("apiAuthorization", defaults.authorization, API_AUTHORIZATIONS),
        throttle_rate_limit=reader.integer(
            "apiThrottleRateLimit",
            defaults.throttle_rate_limit,
            _in_range(1, MAX_API_THROTTLE_RATE_LIMIT),
        ),
        throttle_burst_limit=reader.integer(
            "apiThrottleBurstLimit",
            defaults.throttle_burst_limit,
            _in_range(1, MAX_API_THROTTLE_BURST_LIMIT),
        ),
        log_retention_days=reader.integer(
            "apiLogRetentionDays", defaults.log_retention_days, _log_retention
        ),
        memory_mb=reader.integer(
            "apiMemoryMb", defaults.memory_mb, _in_range(MIN_LAMBDA_MEMORY_MB, MAX_LAMBDA_MEMORY_MB)
        ),
        timeout_seconds=reader.integer(
            "apiTimeoutSeconds", defaults.timeout_seconds, _in_range(1, MAX_API_TIMEOUT_SECONDS)
        ),
    )


def _vpc_network(reader: _Reader, value: str) -> ipaddress.IPv4Network | None:
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        reader.problem("vpcCidr", value, "is not an IPv4 network in CIDR form (like 10.0.0.0/16)")
        return None
    if not any(network.subnet_of(private) for private in PRIVATE_IPV4_RANGES):
        reader.problem(
            "vpcCidr",
            value,
            "is not inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)",
        )
        return None
    if not LARGEST_BLOCK_PREFIX <= network.prefixlen <= SMALLEST_BLOCK_PREFIX:
        reader.problem("vpcCidr", value, "must have a prefix length between /16 and /28")
        return None
    return network


def _admin_cidr(reader: _Reader) -> str | None:
    value = reader.raw.get("adminCidr", "").strip()
    if not value:
        return None
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        reader.problem("adminCidr", value, "is not a network in CIDR form (like 203.0.113.7/32)")
        return None
    if network.prefixlen == 0:
        reader.problem(
            "adminCidr", value, "would open SSH to the whole internet; give your own address range"
        )
        return None
    return str(network)


def _log_retention(days: int) -> str | None:
    if days in LOG_RETENTION_DAYS:
        return None
    return f"is not a retention CloudWatch Logs accepts (one of {', '.join(map(str, LOG_RETENTION_DAYS))})"


def _checked(reader: _Reader, key: str, default: str, check: Callable[[str], str | None]) -> str:
    value = reader.string(key, default)
    if (reason := check(value)) is not None:
        reader.problem(key, value, reason)
        return default
    return value


def _parse_database(reader: _Reader) -> DatabaseSettings:
    defaults = DatabaseSettings()
    password = reader.secret("dbPassword")
    if password is not None and (reason := check_db_password(password)) is not None:
        reader.secret_problem("dbPassword", reason)
        password = None
    return DatabaseSettings(
        engine_version=_checked(
            reader, "dbEngineVersion", defaults.engine_version, check_engine_version
        ),
        instance_class=_checked(
            reader, "dbInstanceClass", defaults.instance_class, check_instance_class
        ),
        allocated_storage_gb=reader.integer(
            "dbAllocatedStorageGb",
            defaults.allocated_storage_gb,
            _in_range(MIN_DB_STORAGE_GB, MAX_DB_STORAGE_GB),
        ),
        db_name=_checked(reader, "dbName", defaults.db_name, check_db_name),
        username=_checked(reader, "dbUsername", defaults.username, check_db_username),
        backup_retention_days=reader.integer(
            "dbBackupRetentionDays",
            defaults.backup_retention_days,
            _in_range(MIN_BACKUP_RETENTION_DAYS, MAX_BACKUP_RETENTION_DAYS),
        ),
        multi_az=reader.boolean("dbMultiAz", defaults.multi_az),
        deletion_protection=reader.boolean("dbDeletionProtection", defaults.deletion_protection),
        final_snapshot=reader.boolean("dbFinalSnapshot", defaults.final_snapshot),
        # Wrapped only when given, so that settings without a password need no Pulumi runtime.
        password=as_secret(password) if password is not None else None,
    )


def _parse_file_system(reader: _Reader) -> FileSystemSettings:
    defaults = FileSystemSettings()
    performance = reader.choice(
        "efsPerformanceMode", defaults.performance_mode, EFS_PERFORMANCE_MODES
    )
    throughput = reader.choice("efsThroughputMode", defaults.throughput_mode, EFS_THROUGHPUT_MODES)
    if performance == "maxIO" and throughput == "elastic":
        reader.problem(
            "efsPerformanceMode", performance, "is not available with efsThroughputMode elastic"
        )
    return FileSystemSettings(performance_mode=performance, throughput_mode=throughput)


def _parse_storage(reader: _Reader) -> StorageSettings:
    defaults = StorageSettings()
    algorithm: SseAlgorithm = reader.choice(
        "bucketSseAlgorithm", defaults.sse_algorithm, SSE_ALGORITHMS
    )
    key_arn = reader.string("bucketKmsKeyArn", "").strip() or None
    if key_arn is not None:
        if (reason := check_kms_key_arn(key_arn)) is not None:
            reader.problem("bucketKmsKeyArn", key_arn, reason)
        elif algorithm != "aws:kms":
            reader.problem(
                "bucketKmsKeyArn", key_arn, "is only used with bucketSseAlgorithm aws:kms"
            )
    elif algorithm == "aws:kms":
        reader.problem("bucketKmsKeyArn", "", "is needed when bucketSseAlgorithm is aws:kms")
    origins = reader.string_list("bucketCorsAllowedOrigins")
    for origin in origins:
        if (reason := check_cors_origin(origin)) is not None:
            reader.problem("bucketCorsAllowedOrigins", origin, reason)
    return StorageSettings(
        sse_algorithm=algorithm,
        kms_key_arn=key_arn,
        cors_allowed_origins=origins,
        noncurrent_version_expiration_days=reader.integer(
            "noncurrentVersionExpirationDays",
            defaults.noncurrent_version_expiration_days,
            _in_range(1, 3650),
        ),
    )


def _parse_monitor(reader: _Reader) -> MonitorSettings:
    defaults = MonitorSettings()
    sites = reader.string_list("monitorSites")
    for url in sites:
        if (reason := check_site_url(url)) is not None:
            reader.problem("monitorSites", url, reason)
    duplicates = sorted({url for url in sites if sites.count(url) > 1})
    for url in duplicates:
        reader.problem("monitorSites", url, "is listed more than once")
    phone = reader.secret("alertPhoneNumber")
    if phone is not None and not _E164.match(phone):
        reader.secret_problem(
            "alertPhoneNumber",
            "must be an E.164 phone number: +, country code and number, no spaces (like +15555550123)",
        )
        phone = None
    email = reader.string("alertEmail", "").strip() or None
    if email is not None and not is_email_address(email):
        reader.problem("alertEmail", email, "is not an email address")
        email = None
    return MonitorSettings(
        sites=sites,
        schedule_minutes=reader.integer(
            "monitorScheduleMinutes",
            defaults.schedule_minutes,
            _in_range(1, MAX_MONITOR_SCHEDULE_MINUTES),
        ),
        failure_threshold=reader.integer(
            "monitorFailureThreshold",
            defaults.failure_threshold,
            _in_range(1, MAX_MONITOR_FAILURE_THRESHOLD),
        ),
        timeout_seconds=reader.integer(
            "monitorTimeoutSeconds",
            defaults.timeout_seconds,
            _in_range(1, MAX_MONITOR_TIMEOUT_SECONDS),
        ),
        max_workers=reader.integer(
            "monitorMaxWorkers", defaults.max_workers, _in_range(1, MAX_MONITOR_WORKERS)
        ),
        # Wrapped only when given, so that settings without a phone need no Pulumi runtime.
        alert_phone_number=as_secret(phone) if phone is not None else None,
        alert_email=email,
        authorization=reader.choice(
            "monitorApiAuthorization", defaults.authorization, API_AUTHORIZATIONS
        ),
        log_retention_days=reader.integer(
            "monitorLogRetentionDays", defaults.log_retention_days, _log_retention
        ),
    )


def subnet_layout(settings: NetworkSettings) -> tuple[list[str], list[str]]:
    """The public and private subnet blocks, one of each per AZ, in AZ order.

    Explicit blocks are used as given; otherwise blocks are carved from the VPC block in order,
    public subnets first, each aligned to its own size and never overlapping an earlier one.
    """
    vpc = ipaddress.IPv4Network(settings.vpc_cidr)
    count = settings.availability_zone_count
    taken: list[ipaddress.IPv4Network] = [
        ipaddress.IPv4Network(cidr)
        for cidr in settings.public_subnet_cidrs + settings.private_subnet_cidrs
    ]
    public = list(settings.public_subnet_cidrs) or _carve(
        vpc, settings.public_subnet_prefix_length, count, taken
    )
    private = list(settings.private_subnet_cidrs) or _carve(
        vpc, settings.private_subnet_prefix_length, count, taken
    )
    return public, private


class _DoesNotFit(Exception):
    pass


def _carve(
    vpc: ipaddress.IPv4Network, prefix: int, count: int, taken: list[ipaddress.IPv4Network]
) -> list[str]:
    if prefix < vpc.prefixlen:
        raise _DoesNotFit
    carved: list[str] = []
    for candidate in vpc.subnets(new_prefix=prefix):
        if len(carved) == count:
            break
        if not any(candidate.overlaps(block) for block in taken):
            taken.append(candidate)
            carved.append(str(candidate))
    if len(carved) < count:
        raise _DoesNotFit
    return carved


def _check_subnet_layout(
    reader: _Reader, vpc: ipaddress.IPv4Network, settings: NetworkSettings
) -> None:
    count = settings.availability_zone_count
    explicit = {
        "publicSubnetCidrs": settings.public_subnet_cidrs,
        "privateSubnetCidrs": settings.private_subnet_cidrs,
    }
    seen: list[tuple[str, ipaddress.IPv4Network]] = []
    for key, cidrs in explicit.items():
        if not cidrs:
            continue
        if len(cidrs) != count:
            reader.problem(key, list(cidrs), f"must list exactly one block per AZ ({count})")
        for cidr in cidrs:
            block = _subnet_block(reader, key, cidr, vpc)
            if block is None:
                continue
            clash = next((other for _, other in seen if other.overlaps(block)), None)
            if clash is not None:
                reader.problem(key, cidr, f"overlaps another subnet block ({clash})")
            seen.append((key, block))
    if reader.problems:
        return
    try:
        subnet_layout(settings)
    except _DoesNotFit:
        reader.problem(
            "privateSubnetPrefixLength"
            if settings.public_subnet_cidrs
            else "publicSubnetPrefixLength",
            f"/{settings.public_subnet_prefix_length} public and "
            f"/{settings.private_subnet_prefix_length} private",
            f"subnets for {count} AZs do not fit in vpcCidr {vpc}",
        )


def _subnet_block(
    reader: _Reader, key: str, cidr: str, vpc: ipaddress.IPv4Network
) -> ipaddress.IPv4Network | None:
    try:
        block = ipaddress.IPv4Network(cidr, strict=True)
    except ValueError:
        reader.problem(key, cidr, "is not an IPv4 network in CIDR form")
        return None
    if not block.subnet_of(vpc):
        reader.problem(key, cidr, f"is not inside vpcCidr {vpc}")
        return None
    if block.prefixlen > SMALLEST_BLOCK_PREFIX:
        reader.problem(key, cidr, "is smaller than /28, the smallest subnet AWS allows")
        return None
    return block


# Settings set with `pulumi config set --secret`: validated without showing their value.
SECRET_KEYS: tuple[str, ...] = ("dbPassword", "alertPhoneNumber")

KNOWN_KEYS: tuple[str, ...] = (
    "vpcCidr",
    "availabilityZoneCount",
    "publicSubnetPrefixLength",
    "privateSubnetPrefixLength",
    "publicSubnetCidrs",
    "privateSubnetCidrs",
    "natStrategy",
    "adminCidr",
    "enableBastion",
    "mapPublicIpOnLaunch",
    "flowLogRetentionDays",
    "flowLogTrafficType",
    "apiAuthorization",
    "apiThrottleRateLimit",
    "apiThrottleBurstLimit",
    "apiLogRetentionDays",
    "apiMemoryMb",
    "apiTimeoutSeconds",
    "dbEngineVersion",
    "dbInstanceClass",
    "dbAllocatedStorageGb",
    "dbName",
    "dbUsername",
    "dbBackupRetentionDays",
    "dbMultiAz",
    "dbDeletionProtection",
    "dbFinalSnapshot",
    "dbPassword",
    "efsPerformanceMode",
    "efsThroughputMode",
    "bucketSseAlgorithm",
    "bucketKmsKeyArn",
    "bucketCorsAllowedOrigins",
    "noncurrentVersionExpirationDays",
    "monitorSites",
    "monitorScheduleMinutes",
    "monitorFailureThreshold",
    "monitorTimeoutSeconds",
    "monitorMaxWorkers",
    "alertPhoneNumber",
    "alertEmail",
    "monitorApiAuthorization",
    "monitorLogRetentionDays",
)
