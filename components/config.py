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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeVar, cast

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


def as_secret(value: str) -> pulumi.Output[str]:
    """A validated secret setting, kept a Pulumi secret from here on."""
    return pulumi.Output.secret(value)


def load_settings() -> Settings:
    """Read and validate the current stack's config (project namespace)."""
    config = pulumi.Config()
    raw = {key: value for key in KNOWN_KEYS if (value := config.get(key)) is not None}
    return parse_settings(raw, project=pulumi.get_project(), stack=pulumi.get_stack())


def parse_settings(raw: Mapping[str, str], *, project: str, stack: str) -> Settings:
    """Validate raw config strings (keys without the project prefix) into `Settings`."""
    reader = _Reader(raw, namespace=project)
    network = _parse_network(reader)
    api = _parse_api(reader)
    unknown = sorted(set(raw) - set(KNOWN_KEYS))
    for key in unknown:
        reader.problem(
            key, raw[key], f"is not a setting of this project (known: {', '.join(KNOWN_KEYS)})"
        )
    if reader.problems:
        raise SettingsError(reader.problems)
    return Settings(project=project, stack=stack, network=cast(NetworkSettings, network), api=api)


T = TypeVar("T")


class _Reader:
    """Reads typed values from raw config strings and collects problems instead of stopping."""

    def __init__(self, raw: Mapping[str, str], namespace: str):
        self.raw = raw
        self.namespace = namespace
        self.problems: list[str] = []

    def problem(self, key: str, value: object, reason: str) -> None:
        self.problems.append(f"{self.namespace}:{key} = {value!r} {reason}")

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


def _parse_network(reader: _Reader) -> NetworkSettings | None:
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
SECRET_KEYS: tuple[str, ...] = ()

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
)
