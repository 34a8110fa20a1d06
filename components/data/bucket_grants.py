"""Read grants for AWS service principals in a bucket policy, one source resource each.

CloudFront reads a private bucket through Origin Access Control: the bucket policy allows the
service principal `cloudfront.amazonaws.com` to get objects, and only for requests made on
behalf of one distribution (`AWS:SourceArn`), as AWS documents it:
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html

The distribution needs the bucket's domain name before it exists, and the bucket's one policy
needs the distribution's ARN: so the bucket declares its service readers up front
(`EncryptedBucketArgs.service_readers`) and its policy waits for `grant_service_read`, which
hands over the source's ARN once the source exists. `ServiceReads` keeps that hand-over.

An SSE-KMS bucket served this way needs its key to admit the reader too (CloudFront must
decrypt): a bucket with a key of its own (`own_key`) hands the same pairs to that key's policy,
each service may decrypt this bucket's objects for its source only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import pulumi

CLOUDFRONT_SERVICE = "cloudfront.amazonaws.com"
_SERVICE = re.compile(r"^[a-z0-9.-]+\.amazonaws\.com$")


def service_read_statement(bucket_arn: str, service: str, source_arn: str) -> dict[str, Any]:
    """Allow `service` to get objects of the bucket on behalf of `source_arn` only."""
    return {
        "Sid": f"AllowReadBy{''.join(part.title() for part in service.split('.')[:-2])}",
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "s3:GetObject",
        "Resource": f"{bucket_arn}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": source_arn}},
    }


def service_decrypt_statement(bucket_arn: str, service: str, source_arn: str) -> dict[str, Any]:
    """Allow `service` to decrypt the bucket's objects on behalf of `source_arn` only: the key
    policy statement the CloudFront guide gives for an SSE-KMS origin (kms:Decrypt, AWS:SourceArn),
    limited to this bucket's encryption context (with an S3 Bucket Key, the bucket's ARN:
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/configuring-bucket-key.html)."""
    read = service_read_statement(bucket_arn, service, source_arn)
    return {
        "Sid": read["Sid"].replace("AllowReadBy", "AllowDecryptBy"),
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "kms:Decrypt",
        "Resource": "*",
        "Condition": {
            "StringEquals": {
                "AWS:SourceArn": source_arn,
                "kms:EncryptionContext:aws:s3:arn": bucket_arn,
            }
        },
    }


def reader_key_policy(
    account_id: str, partition: str, bucket_arn: str, reads: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    """The policy of a bucket's own key: the default statement (IAM policies decide for the
    account's principals: https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html),
    then one decrypt statement per (service, source ARN) the bucket policy admits."""
    root = {
        "Sid": "EnableIamPolicies",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    extra = [service_decrypt_statement(bucket_arn, service, source) for service, source in reads]
    return {"Version": "2012-10-17", "Statement": [root, *extra]}


def with_service_reads(
    document: dict[str, Any], bucket_arn: str, reads: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    """The bucket policy `document` with one read statement per (service, source ARN)."""
    extra = [service_read_statement(bucket_arn, service, source) for service, source in reads]
    return {**document, "Statement": [*document["Statement"], *extra]}


class ServiceReads:
    """The (service, source ARN) pairs a bucket policy admits, each handed over exactly once."""

    def __init__(self, bucket_name: str, services: Sequence[str]):
        self._bucket_name = bucket_name
        self._resolvers: dict[str, Any] = {}
        outputs = []
        for service in services:
            output, resolve = pulumi.deferred_output()
            self._resolvers[service] = resolve
            outputs.append(output)
        self.pairs: pulumi.Output[list[Any]] = pulumi.Output.all(*outputs)

    def document(
        self, bucket_arn: pulumi.Output[str], build: Callable[[str], dict[str, Any]]
    ) -> pulumi.Output[str]:
        """The bucket policy `build` makes from the bucket's ARN, with the read statements."""
        return pulumi.Output.all(bucket_arn, self.pairs).apply(
            lambda values: json.dumps(with_service_reads(build(values[0]), *values))
        )

    def key_policy(
        self, bucket_arn: pulumi.Output[str], account_id: pulumi.Input[str], partition: str
    ) -> pulumi.Output[str]:
        """The policy of the bucket's own key, once each service reader is handed over."""
        return pulumi.Output.all(bucket_arn, self.pairs, account_id).apply(
            lambda values: json.dumps(reader_key_policy(values[2], partition, values[0], values[1]))
        )

    def grant(self, service: str, source_arn: pulumi.Input[str]) -> None:
        if service not in self._resolvers:
            raise ValueError(
                f"grant_service_read: {self._bucket_name!r} does not list {service!r} in "
                f"service_readers ({sorted(self._resolvers)})"
            )
        resolve = self._resolvers.pop(service)
        resolve(pulumi.Output.from_input(source_arn).apply(lambda arn: (service, arn)))


class ServiceReadGrants:
    """The grant method of a bucket whose policy holds `ServiceReads` (EncryptedBucket)."""

    _service_reads: ServiceReads

    def grant_service_read(self, service: str, source_arn: pulumi.Input[str]) -> None:
        """Let `service` (one of `service_readers`) get objects for `source_arn` only."""
        self._service_reads.grant(service, source_arn)


def check_service_readers(services: Sequence[str]) -> None:
    """Raise ValueError naming the argument unless each entry is a service principal, once."""
    for service in services:
        if not _SERVICE.match(service) or services.count(service) > 1:
            raise ValueError(
                f"service_readers: {service!r} is not an AWS service principal listed once "
                "(like cloudfront.amazonaws.com)"
            )
