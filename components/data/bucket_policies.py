"""Bucket and grant policy documents of `EncryptedBucket`, as plain data the tests evaluate.

The bucket policy denies uploads without the `x-amz-server-side-encryption` header or with
another value, and every request not made over TLS. A log bucket also admits its log writers by
name only: S3 server access logging (`logging.s3.amazonaws.com`, for the listed source buckets
of this account) and, when it takes load balancer access logs, Elastic Load Balancing under its
own prefix; they alone are exempt from the header denies (neither sends the header; both rely on
the bucket's SSE-S3 default encryption, the only one either supports).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SSE_HEADER = "s3:x-amz-server-side-encryption"
LOG_DELIVERY_SERVICE = "logging.s3.amazonaws.com"
# Every source bucket writes its access logs under this prefix, in a folder of its own name.
ACCESS_LOG_PREFIX = "access-logs/"

# Who delivers ELB access logs: in the Regions available before August 2022, an account of
# Elastic Load Balancing per Region; in later Regions, the log delivery service principal.
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"
ELB_ACCOUNT_IDS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-southeast-3": "589379963580",
    "ap-south-1": "718504428378",
    "ap-northeast-3": "383597477331",
    "ap-northeast-2": "600734575887",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-south-1": "635631232127",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
}


@dataclass(frozen=True)
class ElbLogDelivery:
    """Elastic Load Balancing's writer in one Region, and where it may write."""

    region: str
    partition: str
    account_id: str  # the account whose load balancers log here (ours)
    prefix: str  # the load balancer's access_logs prefix

    @property
    def elb_account_id(self) -> str | None:
        return ELB_ACCOUNT_IDS.get(self.region)

    @property
    def principal(self) -> dict[str, str]:
        account = self.elb_account_id
        if account is None:
            return {"Service": ELB_LOG_DELIVERY_SERVICE}
        return {"AWS": f"arn:{self.partition}:iam::{account}:root"}

    def exemption(self) -> dict[str, str]:
        """The StringNotEquals entry that is false only for this writer's requests."""
        account = self.elb_account_id
        if account is None:
            return {}  # a service principal: exempted by aws:PrincipalServiceName
        return {"aws:PrincipalAccount": account}


@dataclass(frozen=True)
class LogDelivery:
    """Who may deliver server access logs into a log bucket (plain values, for the policy)."""

    account_id: str
    source_bucket_arn_patterns: tuple[str, ...]
    # Set on a bucket that also receives load balancer access logs.
    elb: ElbLogDelivery | None = None

    def service_names(self) -> list[str]:
        """The service principals exempt from the header denies."""
        names = [LOG_DELIVERY_SERVICE]
        if self.elb is not None and self.elb.elb_account_id is None:
            names.append(ELB_LOG_DELIVERY_SERVICE)
        return names

    def exemption(self) -> dict[str, Any]:
        """StringNotEquals entries true for every writer but the log deliverers."""
        services = self.service_names()
        exemption: dict[str, Any] = {
            "aws:PrincipalServiceName": services[0] if len(services) == 1 else services
        }
        if self.elb is not None:
            exemption.update(self.elb.exemption())
        return exemption


def bucket_policy_document(
    bucket_arn: str, sse_algorithm: str, log_delivery: LogDelivery | None = None
) -> dict[str, Any]:
    """The bucket policy: the three denies, and for a log bucket the log-delivery grant."""
    objects = f"{bucket_arn}/*"
    # On a log bucket only the log writers are exempt from the header denies: they write log
    # objects without the header and rely on the bucket's SSE-S3 default encryption.
    # aws:PrincipalServiceName is set only on requests made by an AWS service principal, so a
    # StringNotEquals on it is true for every user and role (key absent) and false only for
    # the named services; aws:PrincipalAccount likewise singles out ELB's own account.
    exempt = log_delivery.exemption() if log_delivery else {}
    not_log_delivery: dict[str, Any] = {"StringNotEquals": exempt} if exempt else {}
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, objects],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyUnencryptedObjectUploads",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": objects,
            "Condition": {"Null": {SSE_HEADER: "true"}, **not_log_delivery},
        },
        {
            "Sid": "DenyIncorrectEncryptionHeader",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": objects,
            "Condition": {"StringNotEquals": {SSE_HEADER: sse_algorithm, **exempt}},
        },
    ]
    if log_delivery is not None:
        statements += [
            {
                "Sid": "AllowS3ServerAccessLogDelivery",
                "Effect": "Allow",
                "Principal": {"Service": LOG_DELIVERY_SERVICE},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/{ACCESS_LOG_PREFIX}*",
                "Condition": {
                    "ArnLike": {"aws:SourceArn": list(log_delivery.source_bucket_arn_patterns)},
                    "StringEquals": {"aws:SourceAccount": log_delivery.account_id},
                },
            },
            *_elb_grant(bucket_arn, log_delivery.elb),
            {
                # AWS's recommended restriction for a log bucket: nobody else writes here.
                "Sid": "DenyWritesExceptLogDelivery",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {"StringNotEquals": exempt},
            },
        ]
    return {"Version": "2012-10-17", "Statement": statements}


def read_policy_document(bucket_arn: str, kms_key_arn: str | None = None) -> dict[str, Any]:
    """An identity policy that lets a role list the bucket and read its objects."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ListBucket",
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
            "Resource": bucket_arn,
        },
        {
            "Sid": "ReadObjects",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": f"{bucket_arn}/*",
        },
    ]
    return _with_key(statements, kms_key_arn, "DecryptObjects", "kms:Decrypt")


def write_policy_document(
    bucket_arn: str, sse_algorithm: str, kms_key_arn: str | None = None
) -> dict[str, Any]:
    """An identity policy that lets a role write objects, only with the encryption header.

    The Allow carries the same condition the bucket policy enforces, so the role's own policy
    already says what the bucket will demand: send `x-amz-server-side-encryption`.
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": "PutEncryptedObjects",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/*",
            "Condition": {"StringEquals": {SSE_HEADER: sse_algorithm}},
        },
        {
            "Sid": "DeleteObjectsAndAbortUploads",
            "Effect": "Allow",
            "Action": ["s3:DeleteObject", "s3:AbortMultipartUpload"],
            "Resource": f"{bucket_arn}/*",
        },
    ]
    return _with_key(
        statements, kms_key_arn, "EncryptWithTheBucketKey", ["kms:GenerateDataKey", "kms:Decrypt"]
    )


def _with_key(
    statements: list[dict[str, Any]], kms_key_arn: str | None, sid: str, actions: str | list[str]
) -> dict[str, Any]:
    """An identity policy of `statements`, and `actions` on the bucket's key when it has one."""
    if kms_key_arn:
        statements.append(
            {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": kms_key_arn}
        )
    return {"Version": "2012-10-17", "Statement": statements}


def _elb_grant(bucket_arn: str, elb: ElbLogDelivery | None) -> list[dict[str, Any]]:
    """ELB's writer may put objects under the load balancer's prefix, for our account only."""
    if elb is None:
        return []
    statement: dict[str, Any] = {
        "Sid": "AllowElbAccessLogDelivery",
        "Effect": "Allow",
        "Principal": elb.principal,
        "Action": "s3:PutObject",
        "Resource": f"{bucket_arn}/{elb.prefix}/AWSLogs/{elb.account_id}/*",
    }
    if elb.elb_account_id is None:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": elb.account_id}}
    return [statement]
