"""Values and checks that several components and the stack settings share: AWS's own limits,
the ports the tiers talk on, and small checks of plain values. Everything may import this
module; it imports nothing of the project's."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Literal, Protocol

import pulumi

MYSQL_PORT = 3306
NFS_PORT = 2049

# The values CloudWatch Logs accepts for a log group's retention, in days.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

MIN_LAMBDA_MEMORY_MB = 128
MAX_LAMBDA_MEMORY_MB = 10240
# API Gateway ends a REST API's integration after 29 seconds.
MAX_API_TIMEOUT_SECONDS = 29
# API Gateway's default account quotas: 10,000 requests per second, bursts of 5,000.
MAX_API_THROTTLE_RATE_LIMIT = 10000
MAX_API_THROTTLE_BURST_LIMIT = 5000

# "AWS_IAM": callers sign requests with SigV4 and need execute-api:Invoke; "NONE": public.
ApiAuthorization = Literal["NONE", "AWS_IAM"]
API_AUTHORIZATIONS: tuple[ApiAuthorization, ...] = ("NONE", "AWS_IAM")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def is_email_address(value: str) -> bool:
    """A plausible address: one @, no spaces, a dot in the domain."""
    return _EMAIL.match(value) is not None


def check_optional_email(argument: str, value: str | None) -> None:
    """Raise `ValueError` naming `argument` if `value` is given and is not an email address."""
    if value is not None and not is_email_address(value):
        raise ValueError(f"{argument}: {value!r} is not an email address")


def check_log_retention(days: int) -> str | None:
    if days in LOG_RETENTION_DAYS:
        return None
    return f"is not a retention CloudWatch Logs accepts (one of {', '.join(map(str, LOG_RETENTION_DAYS))})"


def check_log_retention_days(days: int) -> None:
    """Raise `ValueError` naming `log_retention_days` unless CloudWatch Logs accepts `days`."""
    if (reason := check_log_retention(days)) is not None:
        raise ValueError(f"log_retention_days: {days!r} {reason}")


def check_between(argument: str, value: float, low: float, high: float, why: str = "") -> None:
    """Raise `ValueError` naming `argument` unless `low <= value <= high` (`why`: the limit's
    reason, shown in brackets)."""
    if not low <= value <= high:
        reason = f" ({why})" if why else ""
        raise ValueError(f"{argument}: {value!r} must be between {low} and {high}{reason}")


def check_bounds(args: object, bounds: Mapping[str, tuple[int, int]]) -> None:
    """`check_between` for each field of `args` that `bounds` names (field: (low, high))."""
    for field_name, (low, high) in bounds.items():
        check_between(field_name, getattr(args, field_name), low, high)


def check_one_of(argument: str, value: object, allowed: Sequence[object]) -> None:
    """Raise `ValueError` naming `argument` unless `value` is one of `allowed`."""
    if value not in allowed:
        raise ValueError(f"{argument}: {value!r} must be one of {allowed}")


class PrivateNetwork(Protocol):
    """What a data store needs of the network (the `Network` component offers it)."""

    @property
    def private_subnet_ids(self) -> Sequence[pulumi.Output[str]]: ...
    @property
    def availability_zones(self) -> Sequence[str]: ...
    @property
    def database_security_group_id(self) -> pulumi.Output[str]: ...
    @property
    def file_system_security_group_id(self) -> pulumi.Output[str]: ...
