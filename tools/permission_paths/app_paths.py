"""The apps' own requests: the uptime monitor (table, alert topic and key, webhook secret), the
fan-out (SNS -> each queue) and the WordPress nodes (secrets and their keys, EFS through the
access point, the media bucket).

- SNS -> SQS (aws:SourceArn = the topic): https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html
- DynamoDB actions: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/using-identity-based-policies.html
- Secrets Manager and its KMS key (encryption context SecretARN, through Secrets Manager):
  https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
- EFS with IAM and an access point (elasticfilesystem:AccessPointArn, aws:SecureTransport):
  https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html
- EC2 roles: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html
- S3 encryption header: https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-s3-encryption.html
"""

from __future__ import annotations

from tools.permission_paths.function_paths import DYNAMODB_DOC, TABLE_CALLS, topic_key_paths
from tools.permission_paths.kms import SNS_KEY_DOC, kms_path, via_service
from tools.permission_paths.model import Path, Role, other_arn, tls
from tools.permission_paths.plan_index import BucketFacts, PlanIndex
from tools.permission_paths.resource_types import (
    ACCESS_POINT,
    FILE_SYSTEM,
    FUNCTION,
    INSTANCE_PROFILE,
    ROLE,
    SUBSCRIPTION,
    TABLE,
)

SNS_SQS_DOC = "https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html"
SECRETS_KMS_DOC = (
    "https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html"
)
EFS_DOC = "https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html"
EC2_ROLE_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html"
S3_SSE_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-s3-encryption.html"


def fanout_paths(ix: PlanIndex) -> list[Path]:
    paths = []
    for subscription in ix.of_type(SUBSCRIPTION):
        if subscription.inputs["protocol"] != "sqs":
            continue
        queue_arn, topic_arn = subscription.inputs["endpoint"], subscription.inputs["topic"]
        send = Path(
            kind="sns-delivers-to-queue",
            title=f"SNS delivers {topic_arn.rsplit(':', 1)[-1]} to {queue_arn.rsplit(':', 1)[-1]}",
            caller="sns.amazonaws.com",
            actions=("sqs:SendMessage",),
            resource=queue_arn,
            account_id=ix.account,
            context=tls(**{"aws:SourceArn": topic_arn}),
            resource_policy=ix.queue_policy(queue_arn),
            docs=(SNS_SQS_DOC,),
        )
        paths.append(
            send.with_twins(
                send.twin_context("another topic", source_arn=other_arn(topic_arn)),
                send.twin_context("no TLS", secure_transport="false"),
                send.twin_caller("another service", "events.amazonaws.com"),
            )
        )
    return paths


def monitor_paths(ix: PlanIndex) -> list[Path]:
    paths: list[Path] = []
    for function in ix.of_type(FUNCTION):
        calls = TABLE_CALLS.get(function.inputs.get("handler", ""))
        if calls is None:
            continue
        variables = (function.inputs.get("environment") or {}).get("variables", {})
        role = ix.caller(ix.role_by_arn(function.inputs["role"]))
        table = next(t for t in ix.of_type(TABLE) if t.id == variables["TABLE_NAME"])
        state = role.path(
            kind="monitor-uses-table",
            title=f"{function.inputs['name']} reads and writes site state",
            actions=calls,
            resource=str(table.outputs["arn"]),
            context=tls(),
            docs=(DYNAMODB_DOC,),
        )
        paths.append(state.with_twins(role.another_role(state)))
        if "scheduled" in function.inputs["handler"]:
            paths += _alerts(ix, role, variables["TOPIC_ARN"])
        for name, secret_arn in sorted(variables.items()):
            if name.endswith("_SECRET_ARN"):
                paths += secret_paths(ix, role, secret_arn, "monitor-reads-secret")
    return paths


def _alerts(ix: PlanIndex, role: Role, topic_arn: str) -> list[Path]:
    sms = [
        s
        for s in ix.of_type(SUBSCRIPTION)
        if s.inputs["topic"] == topic_arn and s.inputs["protocol"] == "sms"
    ]
    publish = role.path(
        kind="monitor-publishes-alerts",
        title="The scheduled checks publish alerts" + (" (texted by SMS)" if sms else ""),
        actions=("sns:Publish",),
        resource=topic_arn,
        context=tls(),
        resource_policy=ix.topic_policy(topic_arn),
        docs=(SNS_KEY_DOC,),
        note="SNS texts the topic's SMS subscriber itself; no IAM request of ours" if sms else "",
    )
    return [
        publish.with_twins(role.another_role(publish)),
        *topic_key_paths(ix, role, topic_arn, "monitor-topic-key"),
    ]


def secret_paths(ix: PlanIndex, role: Role, secret_arn: str, kind: str) -> list[Path]:
    """GetSecretValue, and the decryption Secrets Manager makes with the role's rights."""
    name = secret_arn.rsplit(":", 1)[-1]
    read = role.path(
        kind=kind,
        title=f"{role.arn.rsplit('/', 1)[-1]} reads the secret {name}",
        actions=("secretsmanager:GetSecretValue",),
        resource=secret_arn,
        context=tls(),
        docs=(SECRETS_KMS_DOC,),
    )
    key_arn = ix.secret_key_arn(secret_arn)
    decrypt = kms_path(
        ix,
        kind=f"{kind}-key",
        title=f"{role.arn.rsplit('/', 1)[-1]} decrypts {name} (KMS through Secrets Manager)",
        caller=role,
        actions=("kms:Decrypt",),
        key_arn=key_arn,
        context=via_service(ix, "secretsmanager", secret_context=secret_arn),
        docs=(SECRETS_KMS_DOC,),
    )
    key_twin = (
        decrypt.twin_context(
            "not through Secrets Manager", via_service=f"s3.{ix.region}.amazonaws.com"
        )
        if ix.is_aws_managed_key(key_arn)
        else role.another_role(decrypt)
    )
    return [
        read.with_twins(
            role.another_role(read),
            read.twin_resource("another secret", other_arn(secret_arn)),
        ),
        decrypt.with_twins(key_twin),
    ]


def web_node_paths(ix: PlanIndex) -> list[Path]:
    paths: list[Path] = []
    for profile in ix.of_type(INSTANCE_PROFILE):
        node = ix.caller(next(r for r in ix.of_type(ROLE) if r.id == profile.inputs["role"]))
        assume = node.assumed_by(
            "ec2.amazonaws.com",
            kind="ec2-assumes-node-role",
            title="EC2 gives the web nodes their role",
            docs=(EC2_ROLE_DOC,),
        )
        paths.append(
            assume.with_twins(assume.twin_caller("another service", "lambda.amazonaws.com"))
        )
        for secret_arn in ix.web_secret_arns():
            paths += secret_paths(ix, node, secret_arn, "web-node-reads-secret")
        paths += _mount(ix, node)
        paths += _media(ix, node, ix.bucket_named(f"{ix.bucket_prefix}-media-"))
    return paths


def _mount(ix: PlanIndex, node: Role) -> list[Path]:
    paths = []
    for point in ix.of_type(ACCESS_POINT):
        file_system = next(
            f for f in ix.of_type(FILE_SYSTEM) if f.id == point.inputs["fileSystemId"]
        )
        mount = node.path(
            kind="web-node-mounts-efs",
            title="A web node mounts wp-content through the EFS access point (TLS)",
            actions=("elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"),
            resource=str(file_system.outputs["arn"]),
            context=tls(**{"elasticfilesystem:AccessPointArn": str(point.outputs["arn"])}),
            resource_policy=ix.file_system_policy(file_system.id),
            docs=(EFS_DOC,),
        )
        paths.append(
            mount.with_twins(
                mount.twin_context("without the access point", access_point=None),
                mount.twin_context("no TLS", secure_transport="false"),
                node.another_role(mount),
            )
        )
    return paths


def _media(ix: PlanIndex, node: Role, bucket: BucketFacts) -> list[Path]:
    bucket_side = {
        "resource_policy": bucket.policy,
        "block_public_access": bucket.blocks_public_access,
    }
    object_arn = f"{bucket.arn}/wp-content/uploads/2026/12/photo.jpg"
    read = node.path(
        kind="web-node-uses-media",
        title="A web node reads media",
        actions=("s3:GetObject",),
        resource=object_arn,
        context=tls(),
        docs=(S3_SSE_DOC,),
        **bucket_side,
    )
    sse = {"s3:x-amz-server-side-encryption": bucket.sse_algorithm}
    if bucket.kms_key_arn:
        sse["s3:x-amz-server-side-encryption-aws-kms-key-id"] = bucket.kms_key_arn
    write = node.path(
        kind="web-node-uses-media",
        title="A web node uploads media (encryption header)",
        actions=("s3:PutObject",),
        resource=object_arn,
        context=tls(**sse),
        docs=(S3_SSE_DOC,),
        **bucket_side,
    )
    paths = [
        read.with_twins(
            read.twin_context("no TLS", secure_transport="false"), node.another_role(read)
        ),
        write.with_twins(
            write.twin_context("no encryption header", sse=None, sse_key=None),
            write.twin_context("no TLS", secure_transport="false"),
            node.another_role(write),
        ),
    ]
    if bucket.kms_key_arn:
        key = kms_path(
            ix,
            kind="web-node-media-key",
            title="A web node encrypts and decrypts media (KMS through S3)",
            caller=node,
            actions=("kms:GenerateDataKey", "kms:Decrypt"),
            key_arn=bucket.kms_key_arn,
            context=via_service(ix, "s3", s3_context=bucket.encryption_context(object_arn)),
            docs=(S3_SSE_DOC,),
        )
        paths.append(key.with_twins(node.another_role(key)))
    return paths
