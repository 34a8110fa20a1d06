"""Inputs of `EncryptedBucket`: its Args and the checks of their values."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal, Protocol

import pulumi

from components.common.shared import check_one_of
from components.data.bucket_grants import check_service_readers

if TYPE_CHECKING:
    from components.data.buckets import EncryptedBucket


SseAlgorithm = Literal["AES256", "aws:kms"]
SSE_ALGORITHMS: tuple[SseAlgorithm, ...] = ("AES256", "aws:kms")
CORS_METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[A-Za-z0-9/_-]+$")
_ORIGIN = re.compile(r"^https?://(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$")
# S3 bucket names are at most 63 characters; the provider appends 26 to a `bucket_prefix`.
MAX_BUCKET_PREFIX_LENGTH = 37
_BUCKET_PREFIX = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def check_kms_key_arn(value: str) -> str | None:
    return None if _KMS_KEY_ARN.match(value) else "is not a KMS key or alias ARN"


def check_cors_origin(value: str) -> str | None:
    if value == "*":
        return "would let every website use the bucket; list your own sites' origins (lesson 14)"
    if not _ORIGIN.match(value):
        return "must be an origin like https://www.example.com (scheme, host, optional port)"
    return None


@dataclass(frozen=True)
class CorsRule:
    """One CORS rule (lesson 14): which sites may use the bucket from a browser, and how."""

    allowed_origins: tuple[str, ...]
    allowed_methods: tuple[str, ...] = ("GET", "HEAD")
    allowed_headers: tuple[str, ...] = ("Authorization",)
    expose_headers: tuple[str, ...] = ()
    max_age_seconds: int = 3000


class BucketKey(Protocol):
    """The KMS key a bucket encrypts with (an `EncryptionKey` offers it)."""

    @property
    def arn(self) -> pulumi.Output[str]: ...


@dataclass(frozen=True)
class EncryptedBucketArgs:
    """Inputs of `EncryptedBucket`. Secure by default: SSE-S3, nothing public, ACLs off.

    - `access_log_bucket`: the log bucket that receives this bucket's server access logs.
      Required, unless this bucket is itself a log bucket (a bucket must not log into itself:
      AWS warns of an endless loop of logs).
    - `access_log_source_prefixes`: makes this a log bucket; the name prefixes of the buckets
      whose access logs it accepts (their `bucket_prefix`). Log buckets must use `AES256`.
    - `load_balancer_log_prefix`: a log bucket that also takes this account's load balancer
      access logs, under this prefix (delivered by the Region's ELB writer).
    - `sse_algorithm`: `AES256` (SSE-S3, default) or `aws:kms` (SSE-KMS, needs `kms_key_arn`
      or `own_key`). Uploads must send `x-amz-server-side-encryption` with exactly this value.
    - `own_key`: SSE-KMS with a customer managed key the bucket makes for itself, whose policy
      lets each service reader decrypt for its source only (a key given by ARN cannot be
      changed here, so service readers of an SSE-KMS bucket need `own_key`).
    - `bucket_prefix`: the bucket name's prefix (the provider appends a unique suffix);
      default: the component's name and a hyphen.
    - `noncurrent_version_expiration_days`: old versions are deleted this long after they stop
      being current (default 90); incomplete multipart uploads are aborted after 7 days.
    - `cors_rules`: browser access for your own sites (lesson 14); none by default.
    - `force_destroy`: let `pulumi destroy` delete a bucket that still holds objects (default off).
    - `service_readers`: service principals (CloudFront) let read per source: bucket_grants.py.
    """

    access_log_bucket: EncryptedBucket | None = None
    access_log_source_prefixes: tuple[str, ...] = ()
    load_balancer_log_prefix: str | None = None
    sse_algorithm: SseAlgorithm = "AES256"
    # A plain ARN (checked), or a key created by the program (an Output, like EncryptionKey.arn).
    kms_key_arn: pulumi.Input[str] | None = None
    own_key: bool = False
    bucket_prefix: str | None = None
    noncurrent_version_expiration_days: int = 90
    cors_rules: tuple[CorsRule, ...] = ()
    force_destroy: bool = False
    service_readers: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def receives_access_logs(self) -> bool:
        return bool(self.access_log_source_prefixes)

    def wired(
        self, access_log_bucket: EncryptedBucket, key: BucketKey | None = None
    ) -> EncryptedBucketArgs:
        """These Args, logging into `access_log_bucket` and, with `key`, SSE-KMS with it."""
        kms_key_arn = key.arn if key is not None else self.kms_key_arn
        return replace(self, access_log_bucket=access_log_bucket, kms_key_arn=kms_key_arn)

    def prefix_for(self, name: str) -> str:
        """The bucket name prefix of a component called `name`: `bucket_prefix`, or `<name>-`."""
        return self.bucket_prefix if self.bucket_prefix is not None else f"{name}-"

    def validate(self, name: str) -> None:
        """Raise ValueError naming the argument when the Args are invalid or contradictory."""
        check_one_of("sse_algorithm", self.sse_algorithm, SSE_ALGORITHMS)
        if self.own_key and (self.sse_algorithm != "aws:kms" or self.kms_key_arn):
            raise ValueError(
                f"own_key: a key of its own needs sse_algorithm 'aws:kms' and no kms_key_arn "
                f"(sse_algorithm {self.sse_algorithm!r}, kms_key_arn {self.kms_key_arn!r})"
            )
        if self.sse_algorithm == "aws:kms" and not self.kms_key_arn and not self.own_key:
            raise ValueError(
                "kms_key_arn: sse_algorithm 'aws:kms' needs the ARN of a KMS key (or own_key)"
            )
        if self.service_readers and self.kms_key_arn:
            raise ValueError(
                f"kms_key_arn: {self.kms_key_arn!r}: the service readers "
                f"{list(self.service_readers)} must be let decrypt in the key's policy, which "
                "this bucket does not own; use own_key"
            )
        if self.kms_key_arn:
            if self.sse_algorithm != "aws:kms":
                raise ValueError(
                    f"kms_key_arn: {self.kms_key_arn!r} is only used with sse_algorithm "
                    f"'aws:kms', not {self.sse_algorithm!r}"
                )
            if isinstance(self.kms_key_arn, str) and (
                reason := check_kms_key_arn(self.kms_key_arn)
            ):
                raise ValueError(f"kms_key_arn: {self.kms_key_arn!r} {reason}")
        if self.receives_access_logs and self.sse_algorithm != "AES256":
            raise ValueError(
                f"sse_algorithm: {self.sse_algorithm!r} on a bucket that receives server access "
                "logs; S3 log delivery supports only SSE-S3 (AES256) default encryption"
            )
        if self.load_balancer_log_prefix is not None and (
            not self.receives_access_logs
            or not _BUCKET_PREFIX.match(self.load_balancer_log_prefix)
            or "AWSLogs" in self.load_balancer_log_prefix
        ):
            raise ValueError(
                f"load_balancer_log_prefix: {self.load_balancer_log_prefix!r} must be a plain "
                "prefix (letters, digits, -; no AWSLogs) on a bucket that receives access logs"
            )
        check_service_readers(self.service_readers)
        if self.access_log_bucket is None and not self.receives_access_logs:
            raise ValueError(
                "access_log_bucket: every bucket needs a log bucket for its server access logs"
            )
        prefix = self.prefix_for(name)
        if len(prefix) > MAX_BUCKET_PREFIX_LENGTH or not _BUCKET_PREFIX.match(prefix):
            raise ValueError(
                f"bucket_prefix: {prefix!r} must be lowercase letters, digits and hyphens, at "
                f"most {MAX_BUCKET_PREFIX_LENGTH} characters"
            )
        for source in self.access_log_source_prefixes:
            if not _BUCKET_PREFIX.match(source):
                raise ValueError(
                    f"access_log_source_prefixes: {source!r} is not a bucket name prefix"
                )
        if self.access_log_bucket is not None:
            target = self.access_log_bucket
            if not target.receives_access_logs:
                raise ValueError(
                    f"access_log_bucket: {target.pulumi_resource_name!r} does not accept access "
                    "logs (give it access_log_source_prefixes)"
                )
            if prefix not in target.access_log_source_prefixes:
                raise ValueError(
                    f"access_log_bucket: {target.pulumi_resource_name!r} accepts logs only from "
                    f"buckets named {list(target.access_log_source_prefixes)}, not {prefix!r}*"
                )
        if not 1 <= self.noncurrent_version_expiration_days <= 3650:
            raise ValueError(
                f"noncurrent_version_expiration_days: {self.noncurrent_version_expiration_days} "
                "must be between 1 and 3650"
            )
        for rule in self.cors_rules:
            if not rule.allowed_origins:
                raise ValueError("cors_rules: a rule needs at least one allowed origin")
            for origin in rule.allowed_origins:
                if (reason := check_cors_origin(origin)) is not None:
                    raise ValueError(f"cors_rules: allowed origin {origin!r} {reason}")
            unknown = sorted(set(rule.allowed_methods) - set(CORS_METHODS))
            if unknown or not rule.allowed_methods:
                raise ValueError(
                    f"cors_rules: allowed methods {list(rule.allowed_methods)!r} must be some of "
                    f"{CORS_METHODS}"
                )
            if rule.max_age_seconds < 0:
                raise ValueError(f"cors_rules: max_age_seconds {rule.max_age_seconds} is negative")
