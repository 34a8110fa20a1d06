"""`EncryptedBucket`: an S3 bucket that refuses unencrypted uploads, after lesson 14 of the notes.

Every bucket gets default server-side encryption (SSE-S3 `AES256`, or SSE-KMS with a key), all
four public access blocks, `BucketOwnerEnforced` (ACLs off), versioning with expiry of old
versions, server access logging to a log bucket, optional CORS rules, and a bucket policy that:

- denies `s3:PutObject` without the `x-amz-server-side-encryption` header (Null condition),
- denies `s3:PutObject` whose header is not the allowed algorithm (StringNotEquals),
- denies every request not made over TLS (`aws:SecureTransport` false).

A bucket that receives server access logs (`access_log_source_prefixes` set) also grants the S3
logging service principal `s3:PutObject` under `access-logs/`, for the listed source buckets of
this account only, exempts only that service principal from the two header denies (log delivery
does not send the header; the bucket's SSE-S3 default encrypts the logs), and denies every other
writer. With `load_balancer_log_prefix` it admits the Region's ELB log writer the same way, under
that prefix. docs/data.md, "The access-log bucket", explains the choice.

The policy documents are built by plain functions in `bucket_policies.py` (tests evaluate them)
and applied to the bucket's ARN with `Output.apply`: never by concatenating unknown strings.
"""

from __future__ import annotations

import json
from typing import Annotated

import pulumi
import pulumi_aws as aws

from components.common.kms import MAX_DELETION_WINDOW_DAYS, customer_key
from components.common.outputs import Export, NotRegistered, register_declared_outputs
from components.data.bucket_args import (
    EncryptedBucketArgs,
)
from components.data.bucket_grants import ServiceReadGrants, ServiceReads
from components.data.bucket_policies import (
    ACCESS_LOG_PREFIX,
    ElbLogDelivery,
    LogDelivery,
    bucket_policy_document,
    read_policy_document,
    write_policy_document,
)

# --- the component -------------------------------------------------------------------------


class EncryptedBucket(ServiceReadGrants, pulumi.ComponentResource):
    """An S3 bucket with encryption, no public access, versioning, logging and a strict policy."""

    bucket_name: Annotated[pulumi.Output[str], Export("BucketName")]
    bucket_id: pulumi.Output[str]
    arn: pulumi.Output[str]
    regional_domain_name: pulumi.Output[str]
    # For callers in code: the policy to depend on, the sources whose access logs it admits.
    policy: NotRegistered[aws.s3.BucketPolicy]
    access_log_source_prefixes: NotRegistered[tuple[str, ...]]

    def __init__(
        self, name: str, args: EncryptedBucketArgs, opts: pulumi.ResourceOptions | None = None
    ):
        args.validate(name)
        super().__init__("platform:storage:EncryptedBucket", name, None, opts)
        self._name = name
        self._args = args
        child = pulumi.ResourceOptions(parent=self)
        self._service_reads = ServiceReads(name, args.service_readers)
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket_prefix=args.prefix_for(name),
            force_destroy=args.force_destroy,
            tags={**args.tags, "Name": name},
            opts=child,
        )
        # The key of SSE-KMS (None with SSE-S3), for the writers that must be granted it.
        self.kms_key_arn: pulumi.Input[str] | None = args.kms_key_arn
        if args.own_key:
            self.kms_key_arn = self._own_key(name, args.tags).arn
        # An S3 Bucket Key (every SSE-KMS bucket): S3 then asks KMS with the bucket's ARN as the
        # encryption context, not the object's, so key grants name the bucket.
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/configuring-bucket-key.html
        self.bucket_key_enabled = args.sse_algorithm == "aws:kms"
        self.access_log_source_prefixes = tuple(args.access_log_source_prefixes)
        bucket_id = self.bucket.id
        by_default: aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgsDict = {
            "sse_algorithm": args.sse_algorithm
        }
        if self.kms_key_arn:
            by_default["kms_master_key_id"] = self.kms_key_arn
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket_id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": by_default,
                    # An S3 bucket key cuts KMS requests (and cost) for SSE-KMS.
                    "bucket_key_enabled": self.bucket_key_enabled,
                }
            ],
            opts=child,
        )
        public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket_id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket_id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket_id,
            rules=[
                {
                    "id": "expire-old-versions",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "noncurrent_version_expiration": {
                        "noncurrent_days": args.noncurrent_version_expiration_days
                    },
                    "expiration": {"expired_object_delete_marker": True},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                }
            ],
            # S3 rejects noncurrent-version rules until versioning is configured.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        if args.cors_rules:
            aws.s3.BucketCorsConfiguration(
                f"{name}-cors",
                bucket=bucket_id,
                cors_rules=[
                    {
                        "allowed_origins": list(rule.allowed_origins),
                        "allowed_methods": list(rule.allowed_methods),
                        "allowed_headers": list(rule.allowed_headers),
                        "expose_headers": list(rule.expose_headers),
                        "max_age_seconds": rule.max_age_seconds,
                    }
                    for rule in args.cors_rules
                ],
                opts=child,
            )

        log_delivery = None
        if args.receives_access_logs:
            partition = aws.get_partition().partition
            account_id = aws.get_caller_identity().account_id
            elb = None
            if args.load_balancer_log_prefix is not None:
                elb = ElbLogDelivery(
                    region=aws.get_region().region,
                    partition=partition,
                    account_id=account_id,
                    prefix=args.load_balancer_log_prefix,
                )
            log_delivery = LogDelivery(
                account_id=account_id,
                source_bucket_arn_patterns=tuple(
                    f"arn:{partition}:s3:::{source}*" for source in args.access_log_source_prefixes
                ),
                elb=elb,
            )
        algorithm = args.sse_algorithm
        self.policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket_id,
            policy=self._service_reads.document(
                self.bucket.arn, lambda arn: bucket_policy_document(arn, algorithm, log_delivery)
            ),
            # Policy writes race the public access block on a new bucket; put the block first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access_block]),
        )
        if args.access_log_bucket is not None:
            target = args.access_log_bucket
            aws.s3.BucketLogging(
                f"{name}-logging",
                bucket=bucket_id,
                target_bucket=target.bucket_id,
                target_prefix=f"{ACCESS_LOG_PREFIX}{name}/",
                # The log bucket must admit log delivery before logging is switched on.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[target.policy]),
            )

        self.bucket_name = self.bucket.bucket
        self.sse_algorithm = args.sse_algorithm
        self.bucket_id = bucket_id
        self.arn = self.bucket.arn
        self.regional_domain_name = self.bucket.bucket_regional_domain_name
        register_declared_outputs(self)

    @property
    def receives_access_logs(self) -> bool:
        return bool(self.access_log_source_prefixes)

    def load_balancer_access_logs(self) -> aws.lb.LoadBalancerAccessLogsArgs:
        """A load balancer's `access_logs` into this bucket, once its policy admits ELB."""
        prefix = self._args.load_balancer_log_prefix
        if prefix is None:
            raise ValueError(
                f"load_balancer_access_logs: {self._name!r} has no load_balancer_log_prefix"
            )
        # The bucket name carries the policy as a dependency: ELB tests its write permission
        # when logging is switched on.
        bucket = pulumi.Output.all(self.bucket_name, self.policy.id).apply(lambda ids: ids[0])
        return aws.lb.LoadBalancerAccessLogsArgs(bucket=bucket, prefix=prefix, enabled=True)

    def grant_read(self, role: aws.iam.Role) -> aws.iam.RolePolicy:
        """Let `role` list this bucket and read its objects (and decrypt them with the key)."""
        both = pulumi.Output.all(self.arn, self.kms_key_arn)
        return self._grant(
            role, "read", both.apply(lambda v: json.dumps(read_policy_document(v[0], v[1])))
        )

    def grant_write(self, role: aws.iam.Role) -> aws.iam.RolePolicy:
        """Let `role` put (with the encryption header), delete and abort uploads of objects."""
        if self.receives_access_logs:
            raise ValueError(
                f"grant_write: {self._name!r} receives server access logs and accepts objects "
                "only from S3 log delivery"
            )
        both, algorithm = (
            pulumi.Output.all(self.arn, self.kms_key_arn),
            self._args.sse_algorithm,
        )
        return self._grant(
            role,
            "write",
            both.apply(lambda v: json.dumps(write_policy_document(v[0], algorithm, v[1]))),
        )

    def _own_key(self, name: str, tags: dict[str, str]) -> aws.kms.Key:
        """The bucket's own key: its policy waits for the service readers' sources (as the
        bucket policy does), so they may decrypt this bucket's objects for their source only."""
        invoke = pulumi.InvokeOutputOptions(parent=self)
        return customer_key(
            name,
            description=f"{name}: SSE-KMS of the bucket, decryptable by its service readers",
            deletion_window_days=MAX_DELETION_WINDOW_DAYS,
            service_users=(),
            tags=tags,
            parent=self,
            policy=self._service_reads.key_policy(
                self.bucket.arn,
                aws.get_caller_identity_output(opts=invoke).account_id,
                aws.get_partition().partition,
            ),
        ).key

    def _grant(
        self, role: aws.iam.Role, kind: str, document: pulumi.Output[str]
    ) -> aws.iam.RolePolicy:
        return aws.iam.RolePolicy(
            f"{self._name}-{kind}-{role.pulumi_resource_name}",
            role=role.id,
            policy=document,
            opts=pulumi.ResourceOptions(parent=self),
        )
