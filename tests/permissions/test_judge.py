"""The judge is checked before it is trusted: for each kind of condition the permission paths use,
a request AWS allows and its twin AWS denies, decided by the simulator (tools/iam_judge.py).

AWS semantics followed:
- IAM policy evaluation (an explicit deny wins; in one account an allow in the identity or the
  resource policy suffices; a service principal needs the resource policy's allow):
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
- condition operators (ArnLike, StringLike, Bool, Null, negated operators on a missing key):
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
- global keys aws:SourceArn, aws:SourceAccount, aws:SecureTransport, aws:PrincipalServiceName:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
- KMS key policies (an identity policy counts only when the key policy trusts the account) and
  kms:ViaService, kms:EncryptionContext:<key>:
  https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
  https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html
- S3 encryption header s3:x-amz-server-side-encryption:
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-s3-encryption.html
- EFS access point key elasticfilesystem:AccessPointArn:
  https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html
- sts:ExternalId in a trust policy: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html
"""

from __future__ import annotations

from typing import Any

import pytest

from tools.iam_judge import Document, JudgeError, Request, judge

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/caller"
BUCKET = "arn:aws:s3:::platform-dev-stream-abc"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1111"
DISTRIBUTION = f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1"
FILE_SYSTEM = f"arn:aws:elasticfilesystem:us-east-1:{ACCOUNT}:file-system/fs-1"
ACCESS_POINT = f"arn:aws:elasticfilesystem:us-east-1:{ACCOUNT}:access-point/fsap-1"
ROOT_KEY_POLICY = Document(
    "key policy",
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    },
)


def policy(*statements: dict[str, Any], name: str = "identity") -> Document:
    return Document(name, {"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str, resource: str, condition: dict | None = None, **extra: Any) -> dict:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return {**statement, **extra}


def kms_request(context: dict[str, str], condition: dict) -> Request:
    return Request(
        principal=ROLE,
        action="kms:GenerateDataKey",
        resource=KEY,
        account_id=ACCOUNT,
        context=context,
        identity_policies=[policy(allow("kms:GenerateDataKey", KEY, condition))],
        resource_policy=ROOT_KEY_POLICY,
    )


SERVICE_READ = policy(
    allow(
        "s3:GetObject",
        f"{BUCKET}/*",
        {"StringEquals": {"AWS:SourceArn": DISTRIBUTION}},
        Principal={"Service": "cloudfront.amazonaws.com"},
    ),
    {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [BUCKET, f"{BUCKET}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    },
    name="bucket policy",
)
HEADER_DENIES = policy(
    {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": f"{BUCKET}/*",
        "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}},
    },
    {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": f"{BUCKET}/*",
        "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
    },
    name="bucket policy",
)


def cloudfront_get(source_arn: str | None, tls: str = "true") -> Request:
    context = {"aws:SecureTransport": tls, "aws:PrincipalServiceName": "cloudfront.amazonaws.com"}
    if source_arn is not None:
        context["aws:SourceArn"] = source_arn
    return Request(
        principal="cloudfront.amazonaws.com",
        action="s3:GetObject",
        resource=f"{BUCKET}/media/a.jpg",
        account_id=ACCOUNT,
        context=context,
        resource_policy=SERVICE_READ,
        block_public_access=True,
    )


def put_object(header: str | None) -> Request:
    context = {"aws:SecureTransport": "true"}
    if header is not None:
        context["s3:x-amz-server-side-encryption"] = header
    return Request(
        principal=ROLE,
        action="s3:PutObject",
        resource=f"{BUCKET}/data/x",
        account_id=ACCOUNT,
        context=context,
        identity_policies=[policy(allow("s3:PutObject", f"{BUCKET}/data/*"))],
        resource_policy=HEADER_DENIES,
    )


def mount(access_point: str | None, tls: str = "true") -> Request:
    context = {"aws:SecureTransport": tls}
    if access_point is not None:
        context["elasticfilesystem:AccessPointArn"] = access_point
    condition = {"StringEquals": {"elasticfilesystem:AccessPointArn": ACCESS_POINT}}
    return Request(
        principal=ROLE,
        action="elasticfilesystem:ClientMount",
        resource=FILE_SYSTEM,
        account_id=ACCOUNT,
        context=context,
        identity_policies=[policy(allow("elasticfilesystem:ClientMount", FILE_SYSTEM, condition))],
    )


def assume(external_id: str | None) -> Request:
    trust = policy(
        allow(
            "sts:AssumeRole",
            ROLE,
            {"StringEquals": {"sts:ExternalId": ACCOUNT}},
            Principal={"Service": "firehose.amazonaws.com"},
        ),
        name="trust policy",
    )
    context = {} if external_id is None else {"sts:ExternalId": external_id}
    return Request(
        principal="firehose.amazonaws.com",
        action="sts:AssumeRole",
        resource=ROLE,
        account_id=ACCOUNT,
        context=context,
        resource_policy=trust,
    )


VIA_S3 = {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
BUCKET_CONTEXT = {"StringEquals": {"kms:EncryptionContext:aws:s3:arn": BUCKET}}
PREFIX_CONTEXT = {"StringLike": {"kms:EncryptionContext:aws:s3:arn": f"{BUCKET}/data/*"}}

# (condition kind, request AWS allows, its twin AWS denies)
KNOWN_CASES = [
    ("source ARN", cloudfront_get(DISTRIBUTION), cloudfront_get(f"{DISTRIBUTION}-other")),
    ("source ARN missing", cloudfront_get(DISTRIBUTION), cloudfront_get(None)),
    ("aws:SecureTransport", cloudfront_get(DISTRIBUTION), cloudfront_get(DISTRIBUTION, "false")),
    ("encryption header missing", put_object("aws:kms"), put_object(None)),
    ("encryption header value", put_object("aws:kms"), put_object("AES256")),
    (
        "kms:ViaService",
        kms_request({"kms:ViaService": "s3.us-east-1.amazonaws.com"}, VIA_S3),
        kms_request({"kms:ViaService": "sqs.us-east-1.amazonaws.com"}, VIA_S3),
    ),
    (
        "encryption context, bucket key (bucket ARN)",
        kms_request({"kms:EncryptionContext:aws:s3:arn": BUCKET}, BUCKET_CONTEXT),
        kms_request({"kms:EncryptionContext:aws:s3:arn": f"{BUCKET}-other"}, BUCKET_CONTEXT),
    ),
    (
        "encryption context, no bucket key (object ARN)",
        kms_request({"kms:EncryptionContext:aws:s3:arn": f"{BUCKET}/data/x"}, PREFIX_CONTEXT),
        kms_request({"kms:EncryptionContext:aws:s3:arn": BUCKET}, PREFIX_CONTEXT),
    ),
    ("EFS access point", mount(ACCESS_POINT), mount(None)),
    ("sts:ExternalId", assume(ACCOUNT), assume("999999999999")),
]


def test_each_condition_kind_is_decided_like_aws():
    requests = [request for _, allowed, denied in KNOWN_CASES for request in (allowed, denied)]
    verdicts = judge(requests)
    for index, (kind, _, _) in enumerate(KNOWN_CASES):
        allowed, denied = verdicts[2 * index], verdicts[2 * index + 1]
        assert allowed.decision == "Allowed", (kind, allowed)
        assert denied.decision != "Allowed", (kind, denied)


def test_a_key_policy_that_does_not_trust_the_account_makes_identity_policies_void():
    condition = {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
    trusted = kms_request({"kms:ViaService": "s3.us-east-1.amazonaws.com"}, condition)
    untrusted = Request(
        **{**trusted.__dict__, "resource_policy": policy(name="key policy without root")}
    )
    assert [v.decision for v in judge([trusted, untrusted])] == ["Allowed", "ImplicitlyDenied"]


def test_validated_engine_drops_encryption_context_keys_and_the_workaround_restores_them():
    """The defect the issue warns of, still in 0.1.173: the validated engine ignores the key
    (and reports it ignored), so an allowed request looks denied. The judge then decides with
    the unsafe engine, which sees the key."""
    allowed = kms_request({"kms:EncryptionContext:aws:s3:arn": BUCKET}, BUCKET_CONTEXT)
    [verdict] = judge([allowed])
    assert verdict.ignored_keys == ("kms:EncryptionContext:aws:s3:arn",)
    assert verdict.engine == "unsafe-with-encryption-context"
    assert verdict.decision == "Allowed"


def test_both_engines_agree_where_the_validated_engine_sees_every_key():
    requests = [
        request
        for kind, allowed, denied in KNOWN_CASES
        if "encryption context" not in kind
        for request in (allowed, denied)
    ]
    validated, unsafe = judge(requests), judge(requests, force_unsafe=True)
    assert {verdict.engine for verdict in validated} == {"validated"}
    assert [v.decision for v in validated] == [v.decision for v in unsafe]


def test_a_context_key_the_action_does_not_take_is_refused_not_ignored():
    request = Request(
        principal=ROLE,
        action="s3:GetObject",
        resource=f"{BUCKET}/x",
        account_id=ACCOUNT,
        context={"sqs:QueueName": "typo"},
        identity_policies=[policy(allow("s3:GetObject", f"{BUCKET}/*"))],
    )
    with pytest.raises(JudgeError, match="ignored context keys"):
        judge([request])
