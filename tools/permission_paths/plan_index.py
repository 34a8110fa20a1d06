"""The documents of a planned stack, found by what they protect: a role's identity policies, a
bucket's policy and encryption, a key's policy, a queue's, topic's, function's or log group's
resource policy. Everything is read from what the real program registered under the mocks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from tools.iam_judge import Document
from tools.offline import ACCOUNT_ID, Plan, PlannedResource, aws_managed_key_arn
from tools.permission_paths import aws_side
from tools.permission_paths.model import Role
from tools.permission_paths.resource_types import (
    BUCKET,
    BUCKET_ENCRYPTION,
    BUCKET_POLICY,
    DATABASE,
    FILE_SYSTEM_POLICY,
    FUNCTION,
    KEY,
    LAMBDA_PERMISSION,
    LOG_RESOURCE_POLICY,
    PUBLIC_ACCESS_BLOCK,
    QUEUE_POLICY,
    ROLE,
    ROLE_POLICY,
    SECRET,
    STREAM,
    TOPIC,
    TOPIC_POLICY,
)

SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"  # noqa: S105 - Pulumi's secret marker


def unwrap(value: Any) -> Any:
    """A value with Pulumi's secret markers removed (a path needs what AWS would see)."""
    if isinstance(value, dict):
        if SECRET_SIGNATURE in value:
            return unwrap(value.get("value"))
        return {key: unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    return value


def _json(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value)


@dataclass(frozen=True)
class BucketFacts:
    name: str
    arn: str
    sse_algorithm: str
    kms_key_arn: str | None
    bucket_key: bool
    policy: Document | None
    blocks_public_access: bool

    def encryption_context(self, object_arn: str) -> str:
        """What S3 passes to KMS as aws:s3:arn: the bucket with an S3 Bucket Key, else the
        object (https://docs.aws.amazon.com/AmazonS3/latest/userguide/configuring-bucket-key.html)."""
        return self.arn if self.bucket_key else object_arn


class PlanIndex:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.account = ACCOUNT_ID
        self.region = plan.region
        self.resources = [
            replace(r, inputs=unwrap(r.inputs), outputs=unwrap(r.outputs)) for r in plan.resources
        ]

    def named(self, name: str) -> PlannedResource:
        matches = [resource for resource in self.resources if resource.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources are named {name!r}")
        return matches[0]

    def of_type(self, resource_type: str) -> list[PlannedResource]:
        return [resource for resource in self.resources if resource.type == resource_type]

    # --- roles ----------------------------------------------------------------------------

    def role(self, name: str) -> PlannedResource:
        return self.named(name)

    def role_by_arn(self, arn: str) -> PlannedResource:
        return next(r for r in self.of_type(ROLE) if r.outputs.get("arn") == arn)

    def identity_policies(self, role: PlannedResource) -> list[Document]:
        """The role's inline policies (managed attachments are AWS's documents, not judged)."""
        policies = [p for p in self.of_type(ROLE_POLICY) if p.inputs["role"] == role.id]
        return [
            Document(f"identity: {policy.name}", _json(policy.inputs["policy"]))
            for policy in sorted(policies, key=lambda policy: policy.name)
        ]

    def trust_policy(self, role: PlannedResource) -> Document:
        return Document(f"trust policy: {role.name}", _json(role.inputs["assumeRolePolicy"]))

    def outsider(self, caller_arn: str) -> tuple[str, list[Document]]:
        """Another role of the stack and its own policies: the principal of "other principal"
        twins (a real role, judged with what it really may do)."""
        roles = sorted(self.of_type(ROLE), key=lambda role: role.name)
        role = next(r for r in roles if r.outputs.get("arn") != caller_arn)
        return str(role.outputs["arn"]), self.identity_policies(role)

    def caller(self, role: PlannedResource) -> Role:
        """The role as a path's caller or resource (with the outsider of its twins)."""
        arn = str(role.outputs["arn"])
        outsider, outsider_identity = self.outsider(arn)
        return Role(
            arn=arn,
            account_id=self.account,
            identity=tuple(self.identity_policies(role)),
            trust_policy=self.trust_policy(role),
            outsider=outsider,
            outsider_identity=tuple(outsider_identity),
        )

    def function_role(self, function_name: str) -> PlannedResource:
        function = self.function(function_name)
        return self.role_by_arn(function.inputs["role"])

    # --- functions --------------------------------------------------------------------------

    def function(self, function_name: str) -> PlannedResource:
        return next(f for f in self.of_type(FUNCTION) if f.inputs.get("name") == function_name)

    def function_arn(self, function_name: str, qualifier: str | None = None) -> str:
        arn = f"arn:aws:lambda:{self.region}:{self.account}:function:{function_name}"
        return f"{arn}:{qualifier}" if qualifier else arn

    def function_policy(self, function_name: str) -> Document | None:
        """The function's resource policy as Lambda renders its AddPermission statements."""
        permissions = [
            p for p in self.of_type(LAMBDA_PERMISSION) if p.inputs["function"] == function_name
        ]
        if not permissions:
            return None
        statements = [
            aws_side.lambda_permission_statement(
                p.name,
                p.inputs,
                self.function_arn(function_name, p.inputs.get("qualifier")),
            )
            for p in permissions
        ]
        return Document(
            f"function policy: {function_name}", {"Version": "2012-10-17", "Statement": statements}
        )

    # --- buckets and keys ---------------------------------------------------------------------

    def buckets(self) -> Iterator[BucketFacts]:
        for bucket in self.of_type(BUCKET):
            yield self.bucket(bucket.name)

    def bucket(self, resource_name: str) -> BucketFacts:
        bucket = self.named(resource_name)
        name = bucket.id

        def of(resource_type: str) -> PlannedResource | None:
            found = [r for r in self.of_type(resource_type) if r.inputs.get("bucket") == name]
            return found[0] if found else None

        encryption = of(BUCKET_ENCRYPTION)
        rule = encryption.inputs["rules"][0] if encryption else {}
        default = rule.get("applyServerSideEncryptionByDefault", {})
        policy = of(BUCKET_POLICY)
        block = of(PUBLIC_ACCESS_BLOCK)
        return BucketFacts(
            name=name,
            arn=str(bucket.outputs["arn"]),
            sse_algorithm=default.get("sseAlgorithm", "AES256"),
            kms_key_arn=default.get("kmsMasterKeyId"),
            bucket_key=bool(rule.get("bucketKeyEnabled")),
            policy=(
                Document(f"bucket policy: {resource_name}", _json(policy.inputs["policy"]))
                if policy
                else None
            ),
            blocks_public_access=bool(block and block.inputs.get("restrictPublicBuckets")),
        )

    def bucket_by_arn(self, arn: str) -> BucketFacts:
        bucket = next(b for b in self.of_type(BUCKET) if b.outputs.get("arn") == arn)
        return self.bucket(bucket.name)

    def bucket_by_name(self, name: str) -> BucketFacts:
        bucket = next(b for b in self.of_type(BUCKET) if b.id == name)
        return self.bucket(bucket.name)

    def bucket_named(self, prefix: str) -> BucketFacts:
        """The bucket whose name starts with `prefix` (like `platform-dev-media-`)."""
        bucket = next(b for b in self.of_type(BUCKET) if b.id.startswith(prefix))
        return self.bucket(bucket.name)

    def bucket_by_domain(self, domain: str) -> BucketFacts:
        bucket = next(
            b for b in self.of_type(BUCKET) if b.outputs.get("bucketRegionalDomainName") == domain
        )
        return self.bucket(bucket.name)

    def region_of(self, resource: PlannedResource) -> str:
        """The Region of the resource's provider (an explicit provider's `region`)."""
        urn = resource.provider.rsplit("::", 1)[0] if resource.provider else ""
        providers = [r for r in self.resources if r.urn == urn and r.inputs.get("region")]
        return str(providers[0].inputs["region"]) if providers else self.region

    def topic_key_arn(self, topic: PlannedResource) -> str | None:
        key = topic.inputs.get("kmsMasterKeyId")
        if not key:
            return None
        return aws_managed_key_arn(self.region, key) if key.startswith("alias/") else str(key)

    def topic_by_arn(self, arn: str) -> PlannedResource:
        return next(t for t in self.of_type(TOPIC) if t.outputs.get("arn") == arn)

    def function_by_arn(self, arn: str) -> PlannedResource:
        """The function an ARN names (qualified or not)."""
        name = arn.split(":function:", 1)[1].split(":", 1)[0]
        return self.function(name)

    def is_aws_managed_key(self, key_arn: str) -> bool:
        return aws_side.managed_key_service(key_arn) is not None

    def stream_by_arn(self, arn: str) -> PlannedResource:
        return next(s for s in self.of_type(STREAM) if s.outputs.get("arn") == arn)

    def key_policy(self, key_arn: str) -> Document:
        """A key's policy: the planned one, AWS's default when the program gives none, or the
        documented policy of an AWS managed key. A key the stack does not own is judged with
        the default key policy (its real policy is not in the plan)."""
        for key in self.of_type(KEY):
            if key.outputs.get("arn") == key_arn:
                if key.inputs.get("policy"):
                    return Document(f"key policy: {key.name}", _json(key.inputs["policy"]))
                return aws_side.default_key_policy(self.account, key.name)
        service = aws_side.managed_key_service(key_arn)
        if service is not None:
            return aws_side.aws_managed_key_policy(self.account, self.region, service)
        return aws_side.default_key_policy(self.account, f"not in this stack: {key_arn}")

    # --- queues, topics, logs, file systems --------------------------------------------------

    def queue_arn(self, name: str) -> str:
        return str(self.named(name).outputs["arn"])

    def queue_policy(self, queue_arn: str) -> Document | None:
        url_tail = queue_arn.rsplit(":", 1)[-1]
        for policy in self.of_type(QUEUE_POLICY):
            if str(policy.inputs["queueUrl"]).endswith(f"/{url_tail}"):
                return Document(f"queue policy: {policy.name}", _json(policy.inputs["policy"]))
        return None

    def topic_policy(self, topic_arn: str) -> Document | None:
        for policy in self.of_type(TOPIC_POLICY):
            if policy.inputs["arn"] == topic_arn:
                return Document(f"topic policy: {policy.name}", _json(policy.inputs["policy"]))
        return None

    def log_resource_policy(self, log_group_arn: str) -> Document | None:
        """The account's CloudWatch Logs resource policies that name this log group, merged."""
        statements = []
        names = []
        for policy in sorted(self.of_type(LOG_RESOURCE_POLICY), key=lambda p: p.name):
            document = _json(policy.inputs["policyDocument"])
            if log_group_arn in json.dumps(document):
                statements += document["Statement"]
                names.append(policy.name)
        if not statements:
            return None
        return Document(
            f"log resource policy: {', '.join(names)}",
            {"Version": "2012-10-17", "Statement": statements},
        )

    def file_system_policy(self, file_system_id: str) -> Document | None:
        for policy in self.of_type(FILE_SYSTEM_POLICY):
            if policy.inputs["fileSystemId"] == file_system_id:
                return Document(
                    f"file system policy: {policy.name}", _json(policy.inputs["policy"])
                )
        return None

    @property
    def bucket_prefix(self) -> str:
        return f"{self.plan.project}-{self.plan.stack}"

    def web_secret_arns(self) -> list[str]:
        """The secrets a web node reads at boot: the database's RDS-managed secret and the web
        tier's own secrets."""
        arns = [
            str(secret["secretArn"])
            for database in self.of_type(DATABASE)
            for secret in database.outputs.get("masterUserSecrets") or []
        ]
        arns += [str(s.outputs["arn"]) for s in self.of_type(SECRET) if "WebTier" in s.urn]
        return sorted(arns)

    def secret_key_arn(self, secret_arn: str) -> str:
        """The key a secret is encrypted with: its own, or AWS managed aws/secretsmanager."""
        for database in self.of_type(DATABASE):
            for secret in database.outputs.get("masterUserSecrets") or []:
                if secret["secretArn"] == secret_arn and secret.get("kmsKeyId"):
                    return str(secret["kmsKeyId"])
        for secret in self.of_type(SECRET):
            if secret.outputs.get("arn") == secret_arn and secret.inputs.get("kmsKeyId"):
                return str(secret.inputs["kmsKeyId"])
        return aws_managed_key_arn(self.region, "alias/aws/secretsmanager")

    def log_group_arn(self, name: str) -> str:
        return str(self.named(name).outputs["arn"])
