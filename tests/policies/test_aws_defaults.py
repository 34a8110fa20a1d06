"""Omitted settings mean what AWS does when they are omitted, in both directions (issue 25, 1).

A rule must not block a stack whose omitted setting AWS defaults to secure, and must block one
whose omitted setting AWS defaults to insecure. Each test names the AWS page it follows:
- SQS: SSE-SQS by default for new queues since October 2022
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html
- S3: every new object encrypted with SSE-S3 since January 5, 2023
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingServerSideEncryption.html
- EBS encryption by default: https://docs.aws.amazon.com/ebs/latest/userguide/encryption-by-default.html
  and https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableEbsEncryptionByDefault.html
- S3 Block Public Access on for new buckets since April 2023
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
- ALB listener protocol default HTTP (pulumi-aws aws.lb.Listener `protocol`)
  https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html
"""

from __future__ import annotations

import pulumi_aws as aws
import pytest

from tests.support.policy_support import UNKNOWN, judge, resource, urn
from tools.offline import run_program
from tools.policy_gate import PolicyAnalyzer, run_gate

QUEUE = "aws:sqs/queue:Queue"
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
INSTANCE = "aws:ec2/instance:Instance"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
VOLUME = "aws:ebs/volume:Volume"
BY_DEFAULT = "aws:ebs/encryptionByDefault:EncryptionByDefault"
BUCKET = "aws:s3/bucket:Bucket"
BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
BALANCER = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"


@pytest.fixture(scope="module")
def analyzer():
    with PolicyAnalyzer() as started:
        yield started


def _blocked(policy: str, *resources) -> list[str | None]:
    return [found_urn for _, found_urn in judge(policy, list(resources))]


# --- SQS ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "blocked"),
    [
        ({}, False),  # inputs only: SQS's default, SSE-SQS
        ({"sqsManagedSseEnabled": True}, False),  # the state after create, as the provider reports
        ({"sqsManagedSseEnabled": UNKNOWN}, False),  # a preview: computed, not known yet
        ({"sqsManagedSseEnabled": False}, True),
        ({"sqsManagedSseEnabled": False, "kmsMasterKeyId": "alias/orders"}, False),
        ({"sqsManagedSseEnabled": False, "kmsMasterKeyId": UNKNOWN}, False),
    ],
)
def test_a_queue_is_judged_by_sqs_default_encryption(state, blocked):
    found = _blocked("sqs-queue-encrypted", resource(QUEUE, "orders", state))
    assert found == ([urn(QUEUE, "orders")] if blocked else [])


def _queue(sse: bool | None) -> None:
    aws.sqs.Queue("twin-queue", sqs_managed_sse_enabled=sse)


@pytest.mark.parametrize("preview", [False, True])
def test_through_the_analyzer_only_a_queue_created_without_sse_is_blocked(analyzer, preview):
    def omitted() -> None:
        _queue(None)

    def turned_off() -> None:
        _queue(False)

    passed = run_gate(run_program("dev", preview=preview, program=omitted), analyzer)
    assert passed.by_policy("sqs-queue-encrypted") == []
    blocked = run_gate(run_program("dev", preview=preview, program=turned_off), analyzer)
    assert [v.resource_name for v in blocked.by_policy("sqs-queue-encrypted")] == ["twin-queue"]
    assert blocked.by_policy("sqs-queue-encrypted")[0].level == "mandatory"


# --- S3's default encryption for a service writer -----------------------------------------------


def test_a_delivery_stream_writing_to_s3_without_a_kms_key_still_writes_encrypted_objects():
    destination = {"bucketArn": "arn:aws:s3:::b", "roleArn": "arn:aws:iam::1:role/r"}
    stream = {"kinesisStreamArn": "arn:aws:kinesis:us-east-1:1:stream/s", "roleArn": "r"}
    from_stream = resource(
        FIREHOSE,
        "fh",
        {
            "destination": "extended_s3",
            "kinesisSourceConfiguration": stream,
            "extendedS3Configuration": destination,
        },
    )
    assert _blocked("firehose-encrypted", from_stream) == []
    # What it holds is still judged: records put to it directly, without SSE, are not encrypted.
    direct = resource(
        FIREHOSE, "fh", {"destination": "extended_s3", "extendedS3Configuration": destination}
    )
    [(message, _)] = judge("firehose-encrypted", [direct])
    assert "put to it directly" in message and "no encryption" not in message


# --- EBS encryption by default -------------------------------------------------------------------


def _by_default(**props) -> object:
    return resource(BY_DEFAULT, "ebs-default", props)


UNMAPPED_INSTANCE = {"ami": "ami-0123456789abcdef0", "instanceType": "t3.micro"}
PLAIN_DEVICE = {"deviceName": "/dev/xvda", "ebs": {"volumeSize": 20}}


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        (INSTANCE, UNMAPPED_INSTANCE),  # boots from the AMI's snapshot
        (INSTANCE, {**UNMAPPED_INSTANCE, "rootBlockDevice": {"volumeSize": 20}}),
        (TEMPLATE, {"imageId": "ami-0123456789abcdef0"}),
        (TEMPLATE, {"blockDeviceMappings": [PLAIN_DEVICE]}),
        (VOLUME, {"size": 10, "availabilityZone": "us-east-1a"}),
    ],
    ids=[
        "instance, no mapping",
        "root without encrypted",
        "template, no mapping",
        "template device without encrypted",
        "volume",
    ],
)
def test_omitted_encryption_is_judged_by_ebs_encryption_by_default(resource_type, props):
    subject = resource(resource_type, "node", props)
    # Off (AWS's default for an account): the AMI's snapshot and new volumes are unencrypted.
    [(message, found)] = judge("ec2-ebs-encrypted", [subject])
    assert found == urn(resource_type, "node") and "encryption by default" in message
    # On in the stack (enabled defaults to true): every new volume is encrypted.
    assert _blocked("ec2-ebs-encrypted", _by_default(), subject) == []
    assert _blocked("ec2-ebs-encrypted", _by_default(enabled=True), subject) == []
    # Turned off, or on only for another Region: still unencrypted here.
    assert _blocked("ec2-ebs-encrypted", _by_default(enabled=False), subject) != []
    other_region = _by_default(region="eu-west-1")
    assert _blocked("ec2-ebs-encrypted", other_region, subject) != []
    # Not known yet (a preview): never blocks.
    assert _blocked("ec2-ebs-encrypted", _by_default(enabled=UNKNOWN), subject) == []


def test_encryption_by_default_encrypts_even_a_volume_asking_for_none():
    # "After you enable encryption by default, the EBS volumes that you create are always
    # encrypted" (EnableEbsEncryptionByDefault).
    volume = resource(VOLUME, "scratch", {"size": 10, "encrypted": False})
    assert _blocked("ec2-ebs-encrypted", volume) == [urn(VOLUME, "scratch")]
    assert _blocked("ec2-ebs-encrypted", _by_default(), volume) == []


def _instance(encryption_by_default: bool) -> None:
    if encryption_by_default:
        aws.ebs.EncryptionByDefault("ebs-default", enabled=True)
    aws.ec2.Instance(
        "twin-node",
        ami="ami-0123456789abcdef0",
        instance_type="t3.micro",
        metadata_options=aws.ec2.InstanceMetadataOptionsArgs(http_tokens="required"),
    )


def test_through_the_analyzer_an_unmapped_instance_needs_encryption_by_default(analyzer):
    blocked = run_gate(run_program("dev", program=lambda: _instance(False)), analyzer)
    [violation] = blocked.by_policy("ec2-ebs-encrypted")
    assert violation.resource_name == "twin-node" and "AMI's snapshot" in violation.message
    passed = run_gate(run_program("dev", program=lambda: _instance(True)), analyzer)
    assert passed.by_policy("ec2-ebs-encrypted") == []


# --- S3 Block Public Access ---------------------------------------------------------------------


def test_a_bucket_without_a_public_access_block_keeps_s3s_default_all_on():
    bucket = resource(BUCKET, "data", {"bucket": "data-bucket"})
    assert _blocked("s3-block-public-access", bucket) == []
    # An account-level block that turns flags off does not turn off the bucket's own default.
    account = resource(ACCOUNT_BLOCK, "account", {"blockPublicAcls": False})
    assert _blocked("s3-block-public-access", account, bucket) == []


def test_a_block_that_omits_flags_turns_them_off():
    bucket = resource(BUCKET, "data", {"bucket": "data-bucket"})
    block = resource(
        BLOCK,
        "data-block",
        {"bucket": "data-bucket", "blockPublicAcls": True},
        depends={"bucket": [bucket]},
    )
    [(message, found)] = judge("s3-block-public-access", [bucket, block])
    assert found == urn(BUCKET, "data")
    assert "blockPublicPolicy" in message and "blockPublicAcls" not in message.split("off")[0]


def test_through_the_analyzer_a_bare_bucket_passes_the_public_access_rule(analyzer):
    def bare_bucket() -> None:
        aws.s3.Bucket("twin-bare", bucket="twin-bare-bucket")

    result = run_gate(run_program("dev", program=bare_bucket), analyzer)
    assert result.by_policy("s3-block-public-access") == []
    # It is still blocked for what it lacks: the policy that refuses unencrypted uploads.
    assert [v.resource_name for v in result.by_policy("s3-deny-unencrypted-uploads")] == [
        "twin-bare"
    ]


# --- a listener without protocol -----------------------------------------------------------------


def _balancer_with_listeners(kind: str | None, protocol: str | None) -> list[object]:
    balancer = resource(BALANCER, "site", {"loadBalancerType": kind} if kind else {})
    depends = {"loadBalancerArn": [balancer]}
    plain = {"port": 80, "loadBalancerArn": UNKNOWN, "defaultActions": [{"type": "forward"}]}
    if protocol:
        plain["protocol"] = protocol
    https = {**plain, "port": 443, "protocol": "HTTPS"}
    return [
        balancer,
        resource(LISTENER, "plain", plain, depends),
        resource(LISTENER, "secure", https, depends),
    ]


@pytest.mark.parametrize(
    ("kind", "protocol", "blocked"),
    [
        (None, None, True),  # an application load balancer's listener defaults to HTTP
        ("application", None, True),
        ("application", "HTTP", True),
        ("network", None, False),  # a network load balancer's listener is not HTTP
        ("application", "HTTPS", False),
    ],
)
def test_a_listener_without_protocol_is_http(kind, protocol, blocked):
    found = _blocked("alb-http-redirects-when-https", *_balancer_with_listeners(kind, protocol))
    assert found == ([urn(LISTENER, "plain")] if blocked else [])


def test_a_listener_without_protocol_forwarding_alone_is_reported_as_http_only():
    balancer, plain, _ = _balancer_with_listeners(None, None)
    assert _blocked("alb-http-only", balancer, plain) == [urn(LISTENER, "plain")]


def test_unknown_protocol_never_blocks():
    balancer, plain, secure = _balancer_with_listeners(None, None)
    unknown = resource(
        LISTENER,
        "plain",
        {"protocol": UNKNOWN, "loadBalancerArn": UNKNOWN, "defaultActions": [{"type": "forward"}]},
        {"loadBalancerArn": [balancer]},
    )
    del plain
    assert _blocked("alb-http-redirects-when-https", balancer, unknown, secure) == []
