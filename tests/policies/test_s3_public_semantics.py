"""S3's own meaning of "public" for bucket policies, and how Block Public Access settings combine.

https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
("The meaning of 'public'", "Block public access settings").
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.policy_support import UNKNOWN, resource, run_resource_policy, run_stack_policy

POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
PUBLIC = "s3-no-public-grants"
BLOCK = "s3-block-public-access"
FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def allow_everyone(condition: dict[str, Any] | None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b/*",
    }
    if condition is not None:
        statement["Condition"] = condition
    return {"policy": json.dumps({"Statement": [statement]})}


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
        {"StringEquals": {"aws:SourceVpc": ["vpc-111", "vpc-222"]}},
        {"ArnEquals": {"aws:SourceArn": "arn:aws:cloudfront::111122223333:distribution/E1"}},
        {"StringEquals": {"aws:SourceAccount": "111122223333"}},
        {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
        {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/48"]}},
        {"IpAddress": {"aws:SourceIp": "172.16.0.0/12"}},  # RFC 1918, though wider than /8
        {"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"aws:SourceVpce": "vpce-1"}},
    ],
)
def test_an_allow_to_everyone_pinned_to_fixed_values_is_not_public(condition):
    # "To be considered non-public, a bucket policy must grant access only to fixed values
    # (values that don't contain a wildcard or an IAM policy variable)" of the listed keys.
    assert run_resource_policy(PUBLIC, POLICY, allow_everyone(condition)) == []


@pytest.mark.parametrize(
    ("condition", "why"),
    [
        (None, "no condition"),
        ({"StringLike": {"aws:SourceVpc": "vpc-*"}}, "wildcard"),
        ({"StringEquals": {"aws:SourceVpce": "vpce-${aws:username}"}}, "policy variable"),
        ({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}, "negated"),
        ({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}, "IfExists"),
        ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, "negated"),
        ({"IpAddress": {"aws:SourceIp": "0.0.0.0/1"}}, "broader than /8"),
        ({"IpAddress": {"aws:SourceIp": "2001:db8::/16"}}, "broader than /32"),
        ({"Bool": {"aws:SecureTransport": "true"}}, "no condition pins"),
        ({"StringEquals": {"aws:Referer": "https://example.com"}}, "no condition pins"),
    ],
)
def test_an_allow_to_everyone_without_a_fixed_pinning_condition_is_public(condition, why):
    # Same page: wildcards, policy variables, negated and ...IfExists operators do not pin a
    # value; aws:SourceIp ranges broader than /8 (IPv4) or /32 (IPv6), RFC 1918 excepted, are
    # public.
    messages = run_resource_policy(PUBLIC, POLICY, allow_everyone(condition))
    assert len(messages) == 1, why
    assert "Principal '*'" in messages[0]


def _flags(**overrides: Any) -> dict[str, Any]:
    return {**dict.fromkeys(FLAGS, True), **overrides}


def test_two_public_access_blocks_for_one_bucket_are_reported_naming_both():
    # A bucket has one PublicAccessBlock configuration (PutPublicAccessBlock replaces it):
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutPublicAccessBlock.html
    bucket = resource(BUCKET, "data", {})
    first = resource(PAB, "block-a", _flags(), {"bucket": [bucket]})
    second = resource(PAB, "block-b", _flags(restrictPublicBuckets=False), {"bucket": [bucket]})
    found = run_stack_policy(BLOCK, [bucket, first, second])
    assert len(found) == 1 and "block-a" in found[0][0] and "block-b" in found[0][0]


def test_account_and_bucket_settings_combine_flag_by_flag():
    # "If the access point, bucket, and account settings differ, Amazon S3 applies the most
    # restrictive combination": a flag is on if either level turns it on.
    bucket = resource(BUCKET, "data", {})
    half = resource(
        PAB,
        "data-block",
        _flags(ignorePublicAcls=False, restrictPublicBuckets=False),
        {"bucket": [bucket]},
    )
    other_half = resource(
        ACCOUNT, "account", _flags(blockPublicAcls=False, blockPublicPolicy=False)
    )
    assert run_stack_policy(BLOCK, [bucket, half, other_half]) == []
    partial = resource(
        ACCOUNT,
        "account",
        _flags(
            restrictPublicBuckets=False,
            ignorePublicAcls=False,
            blockPublicAcls=False,
            blockPublicPolicy=False,
        ),
    )
    found = run_stack_policy(BLOCK, [bucket, half, partial])
    assert (
        len(found) == 1
        and "ignorePublicAcls" in found[0][0]
        and "restrictPublicBuckets" in found[0][0]
    )


def test_an_account_block_alone_covers_every_bucket_and_unknown_flags_wait():
    bucket = resource(BUCKET, "data", {})
    assert run_stack_policy(BLOCK, [bucket, resource(ACCOUNT, "account", _flags())]) == []
    unknown = resource(ACCOUNT, "account", _flags(blockPublicAcls=UNKNOWN, ignorePublicAcls=False))
    block = resource(PAB, "b", _flags(ignorePublicAcls=UNKNOWN), {"bucket": [bucket]})
    assert run_stack_policy(BLOCK, [bucket, unknown, block]) == []
