"""CloudFront reading the site's buckets through Origin Access Control (and their keys), and
CloudWatch alarms publishing to the encrypted alert topic.

- OAC: cloudfront.amazonaws.com, aws:SourceArn = the distribution; an SSE-KMS bucket's key must
  let CloudFront decrypt for that distribution:
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html
- With an S3 Bucket Key the KMS encryption context is the bucket's ARN:
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/configuring-bucket-key.html
- Alarms publish as cloudwatch.amazonaws.com (aws:SourceArn = the alarm) to the topic, whose key
  must admit the service: https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
  and https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger
- SNS's encryption context aws:sns:topicArn:
  https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html
"""

from __future__ import annotations

from tools.offline import PlannedResource
from tools.permission_paths.kms import BUCKET_KEY_DOC, SNS_KEY_DOC, kms_path
from tools.permission_paths.model import OUTSIDE_ACCOUNT, Path, other_arn, tls
from tools.permission_paths.plan_index import PlanIndex
from tools.permission_paths.resource_types import ALARM, DISTRIBUTION, TOPIC

OAC_DOC = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html"
SNS_SSE_DOC = "https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html"
ALARM_TOPIC_DOC = "https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger"
CLOUDFRONT = "cloudfront.amazonaws.com"
CLOUDWATCH = "cloudwatch.amazonaws.com"


def origin_read_paths(ix: PlanIndex) -> list[Path]:
    paths: list[Path] = []
    for distribution in ix.of_type(DISTRIBUTION):
        distribution_arn = str(distribution.outputs["arn"])
        for origin in distribution.inputs["origins"]:
            if not origin.get("originAccessControlId"):
                continue
            bucket = ix.bucket_by_domain(origin["domainName"])
            key = _object_key(distribution.inputs, origin["originId"])
            paths += _origin_paths(ix, distribution_arn, bucket, key)
    return paths


def _object_key(inputs: dict, origin_id: str) -> str:
    patterns = [
        behaviour["pathPattern"]
        for behaviour in inputs.get("orderedCacheBehaviors", [])
        if behaviour["targetOriginId"] == origin_id
    ]
    if not patterns:
        return "index.html"
    sample = "index.html" if "maintenance" in patterns[0] else "2026/12/photo.jpg"
    return patterns[0].replace("*", sample)


def _origin_paths(ix: PlanIndex, distribution_arn: str, bucket, key: str) -> list[Path]:
    object_arn = f"{bucket.arn}/{key}"
    source = {"aws:SourceArn": distribution_arn, "aws:SourceAccount": ix.account}
    read = Path(
        kind="cloudfront-reads-origin",
        title=f"CloudFront reads {key} from {bucket.name} (OAC, {bucket.sse_algorithm})",
        caller=CLOUDFRONT,
        actions=("s3:GetObject",),
        resource=object_arn,
        account_id=ix.account,
        context=tls(**source, **{"aws:PrincipalServiceName": CLOUDFRONT}),
        resource_policy=bucket.policy,
        block_public_access=bucket.blocks_public_access,
        docs=(OAC_DOC,),
    )
    outsider, outsider_docs = ix.outsider("")
    paths = [
        read.with_twins(
            read.twin_context("another distribution", source_arn=other_arn(distribution_arn)),
            read.twin_context("no TLS", secure_transport="false"),
            read.twin_caller("a role of this account", outsider, outsider_docs),
        )
    ]
    if bucket.kms_key_arn:
        decrypt = kms_path(
            ix,
            kind="cloudfront-decrypts-origin",
            title=f"CloudFront decrypts {bucket.name}'s objects (KMS through S3)",
            caller=CLOUDFRONT,
            actions=("kms:Decrypt",),
            key_arn=bucket.kms_key_arn,
            context={
                **source,
                "kms:ViaService": f"s3.{ix.region}.amazonaws.com",
                "kms:EncryptionContext:aws:s3:arn": bucket.encryption_context(object_arn),
            },
            docs=(OAC_DOC, BUCKET_KEY_DOC),
        )
        paths.append(
            decrypt.with_twins(
                decrypt.twin_context(
                    "another distribution", source_arn=other_arn(distribution_arn)
                ),
                decrypt.twin_caller("another service", "cloudtrail.amazonaws.com"),
            )
        )
    return paths


def alarm_paths(ix: PlanIndex) -> list[Path]:
    topics = {str(topic.outputs["arn"]): topic for topic in ix.of_type(TOPIC)}
    paths: list[Path] = []
    for alarm in ix.of_type(ALARM):
        targets = {*alarm.inputs.get("alarmActions", []), *alarm.inputs.get("okActions", [])}
        for topic_arn in sorted(targets & set(topics)):
            paths += _alarm_to_topic(ix, alarm, topics[topic_arn], topic_arn)
    return paths


def _alarm_to_topic(
    ix: PlanIndex, alarm: PlannedResource, topic: PlannedResource, topic_arn: str
) -> list[Path]:
    region = ix.region_of(alarm)
    alarm_arn = f"arn:aws:cloudwatch:{region}:{ix.account}:alarm:{alarm.outputs['name']}"
    source = {"aws:SourceArn": alarm_arn, "aws:SourceAccount": ix.account}
    publish = Path(
        kind="alarm-publishes",
        title=f"Alarm {alarm.name} ({region}) publishes to {topic.name}",
        caller=CLOUDWATCH,
        actions=("sns:Publish",),
        resource=topic_arn,
        account_id=ix.account,
        context=source,
        resource_policy=ix.topic_policy(topic_arn),
        docs=(ALARM_TOPIC_DOC, SNS_KEY_DOC),
    )
    paths = [
        publish.with_twins(
            publish.twin_context(
                "another account's alarm",
                source_arn=alarm_arn.replace(ix.account, OUTSIDE_ACCOUNT),
                source_account=OUTSIDE_ACCOUNT,
            ),
            publish.twin_caller("another service", "events.amazonaws.com"),
        )
    ]
    key_arn = ix.topic_key_arn(topic)
    if key_arn:
        encrypt = kms_path(
            ix,
            kind="alarm-uses-topic-key",
            title=f"Alarm {alarm.name} ({region}) encrypts with {topic.name}'s key",
            caller=CLOUDWATCH,
            actions=("kms:GenerateDataKey", "kms:Decrypt"),
            key_arn=key_arn,
            context={**source, "kms:EncryptionContext:aws:sns:topicArn": topic_arn},
            docs=(SNS_KEY_DOC, SNS_SSE_DOC),
        )
        paths.append(
            encrypt.with_twins(
                encrypt.twin_context(
                    "another account's alarm",
                    source_arn=alarm_arn.replace(ix.account, OUTSIDE_ACCOUNT),
                    source_account=OUTSIDE_ACCOUNT,
                ),
                encrypt.twin_caller("another service", "events.amazonaws.com"),
            )
        )
    return paths
