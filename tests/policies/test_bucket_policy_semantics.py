"""The encryption-deny rule judged by IAM's and S3's own semantics, on hand-written policies.

Each test names the AWS page it follows. The rule must accept every policy that refuses all
unencrypted uploads and block every one that leaves a way in, whatever the policy's shape.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from platform_rules.iam import (
    condition_holds,
    covers_every_extension,
    wildcard_match,
)

from tests.support.policy_support import resource, run_stack_policy

BUCKET = "aws:s3/bucket:Bucket"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
SSE = "s3-deny-unencrypted-uploads"
HEADER = "s3:x-amz-server-side-encryption"
OBJECTS = "arn:aws:s3:::data-bucket/*"

CONDITION_OPERATORS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"


def deny(condition: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": OBJECTS,
    }
    statement.update(fields)
    if condition is not None:
        statement["Condition"] = condition
    return statement


ALGORITHM_DENY = deny({"StringNotEquals": {HEADER: ["AES256", "aws:kms", "aws:kms:dsse"]}})
NULL_DENY = deny({"Null": {HEADER: "true"}})


def verdict(*statements: dict[str, Any], config: dict[str, Any] | None = None) -> list[str]:
    bucket = resource(BUCKET, "data", {"bucket": "data-bucket"})
    policy = resource(
        POLICY,
        "data-policy",
        {"bucket": "data-bucket", "policy": json.dumps({"Statement": list(statements)})},
        {"bucket": [bucket]},
    )
    return [message for message, _ in run_stack_policy(SSE, [bucket, policy], config)]


# --- conditions are ANDed --------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        {"Bool": {"aws:SecureTransport": "false"}},
        {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c"}},
    ],
)
def test_a_deny_narrowed_by_another_condition_does_not_deny_every_unencrypted_upload(extra):
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
    # "If your policy has multiple condition operators or multiple keys ..., the conditions are
    # evaluated using a logical AND": a non-TLS-only Deny leaves TLS uploads without the header.
    narrowed = deny({"Null": {HEADER: "true"}, **extra})
    found = verdict(narrowed)
    assert len(found) == 1 and "ANDed" in found[0] and "without the" in found[0]


def test_a_condition_exempting_an_aws_service_principal_by_name_still_denies_every_caller():
    # aws:PrincipalServiceName is present only on requests a service principal makes
    # (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html),
    # so a negated operator on it is true for every user, role and anonymous caller.
    exempt = {"StringNotEquals": {"aws:PrincipalServiceName": "logging.s3.amazonaws.com"}}
    assert verdict(deny({"Null": {HEADER: "true"}, **exempt}), ALGORITHM_DENY) == []


# --- negated operators, IfExists, Null, wildcards --------------------------------------------


def test_one_negated_deny_on_the_header_also_refuses_uploads_without_it():
    # CONDITION_OPERATORS: a negated operator is true when the key is missing.
    assert verdict(ALGORITHM_DENY) == []


def test_if_exists_on_a_positive_operator_is_true_when_the_header_is_missing():
    # CONDITION_OPERATORS, "...IfExists condition operators".
    only_if_exists = deny({"StringNotEqualsIfExists": {HEADER: "AES256"}})
    assert verdict(only_if_exists, config={"allowedAlgorithms": ["AES256"]}) == []


def test_a_null_false_deny_does_not_catch_missing_headers():
    # CONDITION_OPERATORS, "Condition operator to check existence of condition keys".
    found = verdict(deny({"Null": {HEADER: "false"}}))
    assert len(found) == 1 and "without the" in found[0]


def test_string_not_like_patterns_are_wildcards_not_literals():
    # CONDITION_OPERATORS, "String condition operators": StringLike/StringNotLike take * and ?.
    # "aws:kms*" lets aws:kms and aws:kms:dsse through, so with only AES256 allowed it is a hole.
    wide = deny({"StringNotLike": {HEADER: ["AES256", "aws:kms*"]}})
    found = verdict(wide, config={"allowedAlgorithms": ["AES256"]})
    assert len(found) == 1 and "aws:kms" in found[0]
    narrow = deny({"StringNotLike": {HEADER: ["AES?56"]}})
    assert verdict(narrow, config={"allowedAlgorithms": ["AES256"]}) == []


def test_the_operator_semantics_the_rule_uses():
    # CONDITION_OPERATORS: missing keys, IfExists, Null, negation of several values.
    assert condition_holds("StringNotEquals", ["AES256"], None) is True
    assert condition_holds("StringEquals", ["AES256"], None) is False
    assert condition_holds("StringEqualsIfExists", ["AES256"], None) is True
    assert condition_holds("StringNotEquals", ["AES256", "aws:kms"], "aws:kms") is False
    assert condition_holds("StringNotEquals", ["AES256", "aws:kms"], "aws:kms:dsse") is True
    assert condition_holds("StringLike", ["aws:kms*"], "aws:kms:dsse") is True
    assert condition_holds("StringLike", ["AES?56"], "AES256") is True
    assert condition_holds("StringEqualsIgnoreCase", ["aes256"], "AES256") is True
    assert condition_holds("Null", ["true"], None) is True
    assert condition_holds("Null", ["false"], None) is False
    assert condition_holds("ForAnyValue:StringEquals", ["a"], None) is False
    assert condition_holds("ForAllValues:StringEquals", ["a"], None) is True
    assert condition_holds("IpAddress", ["10.0.0.0/8"], "10.1.2.3") is True
    assert condition_holds("NotIpAddress", ["10.0.0.0/8"], "10.1.2.3") is False


def test_only_the_algorithms_s3_accepts_need_a_deny():
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html: the header's valid
    # values are AES256 | aws:kms | aws:kms:dsse; S3 refuses any other value itself. With all
    # three allowed, a Null deny alone leaves nothing to deny.
    assert verdict(NULL_DENY) == []
    found = verdict(NULL_DENY, config={"allowedAlgorithms": ["aws:kms"]})
    assert len(found) == 1 and "AES256" in found[0] and "aws:kms:dsse" in found[0]


# --- actions: NotAction, case, wildcards -----------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"Action": "S3:putobject"},
        {"Action": "s3:Put*"},
        {"Action": "s3:P?tObject"},
        {"NotAction": ["s3:GetObject", "s3:ListBucket"]},
    ],
)
def test_actions_match_case_insensitively_with_wildcards_and_not_action_covers_the_rest(fields):
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
    # and .../reference_policies_elements_notaction.html: a Deny with NotAction denies every
    # action it does not list.
    statement = {key: value for key, value in ALGORITHM_DENY.items() if key != "Action"}
    assert verdict({**statement, **fields}) == []


def test_a_not_action_that_lists_put_object_does_not_deny_it():
    statement = {key: value for key, value in ALGORITHM_DENY.items() if key != "Action"}
    found = verdict({**statement, "NotAction": "s3:Put*"})
    assert len(found) == 1 and "NotAction" in found[0]


# --- resources: every key a writer can choose ------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "covers"),
    [
        ("arn:aws:s3:::data-bucket/*", True),
        ("arn:aws:s3:::data-*", True),
        ("arn:aws:s3:::*", True),
        ("*", True),
        ("arn:aws:s3:::data-bucket/?*", True),
        ("arn:aws:s3:::data-bucket/*/*", False),
        ("arn:aws:s3:::data-bucket/uploads/*", False),
        ("arn:aws:s3:::data-bucket/??*", False),
        ("arn:aws:s3:::data-bucket", False),
        ("arn:aws:s3:::Data-Bucket/*", False),
    ],
)
def test_resource_patterns_are_compared_as_patterns(pattern, covers):
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
    # (wildcards, case-sensitive ARNs) and https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html
    # (a key is any non-empty string, with or without "/"): "/*/*" leaves top-level keys open.
    assert covers_every_extension(pattern, "arn:aws:s3:::data-bucket/") is covers
    found = verdict({**ALGORITHM_DENY, "Resource": pattern})
    assert (found == []) is covers


def test_not_resource_excluding_some_keys_leaves_them_open():
    statement = {key: value for key, value in ALGORITHM_DENY.items() if key != "Resource"}
    assert verdict({**statement, "NotResource": "arn:aws:s3:::other-bucket/*"}) == []
    found = verdict({**statement, "NotResource": "arn:aws:s3:::data-bucket/public/*"})
    assert len(found) == 1 and "NotResource" in found[0]


def test_wildcard_match_is_a_full_match():
    assert wildcard_match("a*c", "abc") and not wildcard_match("a*c", "abcd")
    assert wildcard_match("S3:Get*", "s3:getobject", ignore_case=True)


# --- one policy per bucket -------------------------------------------------------------------


def test_two_policies_for_one_bucket_are_reported_naming_both_not_merged():
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html: PutBucketPolicy
    # replaces the bucket's policy, so of two policies only the last written applies.
    bucket = resource(BUCKET, "data", {"bucket": "data-bucket"})
    halves = [NULL_DENY, ALGORITHM_DENY]
    policies = [
        resource(
            POLICY,
            f"half-{index}",
            {"bucket": "data-bucket", "policy": json.dumps({"Statement": [statement]})},
            {"bucket": [bucket]},
        )
        for index, statement in enumerate(halves)
    ]
    found = run_stack_policy(SSE, [bucket, *policies])
    assert len(found) == 1
    assert "half-0" in found[0][0] and "half-1" in found[0][0] and "last" in found[0][0]


def test_a_policy_given_inline_and_as_a_resource_is_reported():
    document = json.dumps({"Statement": [ALGORITHM_DENY]})
    bucket = resource(BUCKET, "data", {"bucket": "data-bucket", "policy": document})
    policy = resource(
        POLICY, "data-policy", {"bucket": "data-bucket", "policy": document}, {"bucket": [bucket]}
    )
    found = run_stack_policy(SSE, [bucket, policy])
    assert len(found) == 1 and "data-policy" in found[0][0] and "inline" in found[0][0]


# --- the TLS deny follows the same semantics ---------------------------------------------------

TLS = "s3-deny-insecure-transport"


def _tls_verdict(statement: dict[str, Any]) -> list[str]:
    bucket = resource(BUCKET, "data", {"bucket": "data-bucket"})
    policy = resource(
        POLICY,
        "data-policy",
        {"bucket": "data-bucket", "policy": json.dumps({"Statement": [statement]})},
        {"bucket": [bucket]},
    )
    return [message for message, _ in run_stack_policy(TLS, [bucket, policy])]


@pytest.mark.parametrize(
    ("fields", "denied"),
    [
        ({}, True),
        ({"Action": "s3:Get*"}, False),
        ({"Resource": "arn:aws:s3:::data-bucket"}, False),
        (
            {
                "Condition": {
                    "Bool": {"aws:SecureTransport": "false"},
                    "IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
                }
            },
            False,
        ),
        ({"Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}}, True),
    ],
)
def test_the_tls_deny_must_cover_every_caller_and_object(fields, denied):
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html
    # (deny when aws:SecureTransport is false) read with CONDITION_OPERATORS' AND semantics.
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::data-bucket", OBJECTS],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        **fields,
    }
    assert (_tls_verdict(statement) == []) is denied


@pytest.mark.parametrize(
    ("accounts", "open_to_callers"),
    [
        (["127311923021"], False),  # Elastic Load Balancing's log writer in us-east-1
        (["127311923021", "797873946194"], False),
        (["111122223333"], True),  # any other account: its users may upload without the header
        (["127311923021", "111122223333"], True),
    ],
)
def test_a_deny_exempting_only_elbs_log_delivery_accounts_still_denies_every_caller(
    accounts, open_to_callers
):
    # In the Regions available before August 2022, ELB access logs are written by an Elastic
    # Load Balancing account of the Region, and support only SSE-S3 without the header
    # (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html).
    # StringNotEquals on aws:PrincipalAccount is true for every principal of any other account
    # (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalaccount),
    # so the Deny still covers every caller of the bucket owner's; naming another account opens
    # the bucket to that account's principals.
    exempting = deny(
        {"Null": {HEADER: "true"}, "StringNotEquals": {"aws:PrincipalAccount": accounts}}
    )
    found = verdict(exempting)
    assert bool(found) is open_to_callers, found


def test_the_pack_knows_every_elb_log_writer_the_web_tier_may_admit():
    from platform_rules.storage import ELB_LOG_DELIVERY_ACCOUNTS

    from components.data.bucket_policies import ELB_ACCOUNT_IDS

    assert set(ELB_ACCOUNT_IDS.values()) == ELB_LOG_DELIVERY_ACCOUNTS
