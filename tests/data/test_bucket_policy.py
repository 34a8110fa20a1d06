"""What the bucket and grant policies mean: parsed, statement by statement, and evaluated.

The documents are built by the same functions the component applies to the bucket's ARN; the
evaluator in tests/iam_eval.py decides which statements a request meets.
"""

from __future__ import annotations

import json

import pytest

from components.data.bucket_policies import (
    ACCESS_LOG_PREFIX,
    ELB_LOG_DELIVERY_SERVICE,
    LOG_DELIVERY_SERVICE,
    ElbLogDelivery,
    LogDelivery,
    bucket_policy_document,
    read_policy_document,
    write_policy_document,
)
from tests.support.iam_eval import SSE_HEADER, Request, allowed_by, denied_by, put_object

BUCKET = "arn:aws:s3:::platform-dev-media-0123456789"
OBJECT = f"{BUCKET}/uploads/2024/cat.jpg"
LOGS = "arn:aws:s3:::platform-dev-logs-0123456789"
ACCOUNT = "123456789012"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
LOG_DELIVERY = LogDelivery(
    account_id=ACCOUNT,
    source_bucket_arn_patterns=(
        "arn:aws:s3:::platform-dev-media-*",
        "arn:aws:s3:::platform-dev-code-*",
    ),
)
ALGORITHMS = ["AES256", "aws:kms"]
HEADER_VALUES = [None, "AES256", "aws:kms", "aws:kms:dsse", "aes256", ""]
THE_THREE_DENIES = {
    "DenyInsecureTransport",
    "DenyUnencryptedObjectUploads",
    "DenyIncorrectEncryptionHeader",
}


def statement(policy: dict, sid: str) -> dict:
    found = [s for s in policy["Statement"] if s.get("Sid") == sid]
    assert len(found) == 1, f"{len(found)} statements {sid}"
    return found[0]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_the_three_denies_are_exactly_the_notes_statements_plus_tls(algorithm):
    policy = bucket_policy_document(BUCKET, algorithm)
    assert policy["Version"] == "2012-10-17"
    assert {s["Sid"] for s in policy["Statement"]} == THE_THREE_DENIES
    assert statement(policy, "DenyUnencryptedObjectUploads") == {
        "Sid": "DenyUnencryptedObjectUploads",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": f"{BUCKET}/*",
        "Condition": {"Null": {SSE_HEADER: "true"}},
    }
    assert statement(policy, "DenyIncorrectEncryptionHeader") == {
        "Sid": "DenyIncorrectEncryptionHeader",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": f"{BUCKET}/*",
        "Condition": {"StringNotEquals": {SSE_HEADER: algorithm}},
    }
    assert statement(policy, "DenyInsecureTransport") == {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [BUCKET, f"{BUCKET}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_an_upload_with_the_allowed_header_over_tls_is_not_denied(algorithm):
    policy = bucket_policy_document(BUCKET, algorithm)
    assert denied_by(policy, put_object(OBJECT, sse=algorithm)) == []


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_an_upload_without_the_header_is_denied(algorithm):
    policy = bucket_policy_document(BUCKET, algorithm)
    assert "DenyUnencryptedObjectUploads" in denied_by(policy, put_object(OBJECT))


@pytest.mark.parametrize(
    ("algorithm", "header"),
    [
        (a, h)
        for a in ALGORITHMS
        for h in ("AES256", "aws:kms", "aws:kms:dsse", "aes256", "")
        if h != a
    ],
)
def test_an_upload_with_any_other_header_value_is_denied(algorithm, header):
    policy = bucket_policy_document(BUCKET, algorithm)
    assert denied_by(policy, put_object(OBJECT, sse=header)) == ["DenyIncorrectEncryptionHeader"]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_plain_http_is_denied_for_uploads_reads_and_bucket_calls(algorithm):
    policy = bucket_policy_document(BUCKET, algorithm)
    assert "DenyInsecureTransport" in denied_by(
        policy, put_object(OBJECT, sse=algorithm, tls=False)
    )
    plain = {"aws:SecureTransport": "false"}
    assert denied_by(policy, Request("s3:GetObject", OBJECT, plain)) == ["DenyInsecureTransport"]
    assert denied_by(policy, Request("s3:ListBucket", BUCKET, plain)) == ["DenyInsecureTransport"]
    secure = {"aws:SecureTransport": "true"}
    assert denied_by(policy, Request("s3:GetObject", OBJECT, secure)) == []


def test_the_denies_aim_at_this_bucket_only():
    policy = bucket_policy_document(BUCKET, "AES256")
    other = "arn:aws:s3:::someone-elses-bucket/file"
    assert denied_by(policy, put_object(other)) == []


# --- the write grant agrees with the bucket policy ----------------------------------------


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("header", HEADER_VALUES)
def test_the_write_grant_allows_exactly_the_uploads_the_bucket_accepts(algorithm, header):
    bucket = bucket_policy_document(BUCKET, algorithm)
    grant = write_policy_document(BUCKET, algorithm, KEY if algorithm == "aws:kms" else None)
    request = put_object(OBJECT, sse=header)
    granted = "PutEncryptedObjects" in allowed_by(grant, request)
    accepted = denied_by(bucket, request) == []
    assert granted == accepted
    assert granted == (header == algorithm)


def test_the_write_grant_carries_the_same_condition_as_the_deny():
    grant = write_policy_document(BUCKET, "AES256")
    put = statement(grant, "PutEncryptedObjects")
    assert put["Condition"] == {"StringEquals": {SSE_HEADER: "AES256"}}
    assert put["Resource"] == f"{BUCKET}/*"
    assert allowed_by(grant, Request("s3:GetObject", OBJECT)) == []
    assert "kms:GenerateDataKey" not in str(grant)


def test_a_kms_write_grant_may_use_the_bucket_key():
    grant = write_policy_document(BUCKET, "aws:kms", KEY)
    kms = statement(grant, "EncryptWithTheBucketKey")
    assert kms["Resource"] == KEY
    assert set(kms["Action"]) == {"kms:GenerateDataKey", "kms:Decrypt"}


def test_the_read_grant_reads_and_lists_but_never_writes():
    grant = read_policy_document(BUCKET, KEY)
    assert allowed_by(grant, Request("s3:GetObject", OBJECT)) == ["ReadObjects"]
    assert allowed_by(grant, Request("s3:ListBucket", BUCKET)) == ["ListBucket"]
    assert allowed_by(grant, put_object(OBJECT, sse="AES256")) == []
    assert allowed_by(grant, Request("s3:GetObject", "arn:aws:s3:::other/x")) == []
    assert allowed_by(grant, Request("kms:Decrypt", KEY)) == ["DecryptObjects"]


# --- the access-log bucket -----------------------------------------------------------------


def log_delivery(source: str, account: str = ACCOUNT, key: str = "access-logs/platform-media/x"):
    """A log object delivered by S3 server access logging: no encryption header, over TLS."""
    return put_object(
        f"{LOGS}/{key}",
        service=LOG_DELIVERY_SERVICE,
        source_arn=source,
        source_account=account,
    )


def test_the_log_bucket_keeps_the_three_denies_aimed_at_its_arn():
    policy = bucket_policy_document(LOGS, "AES256", LOG_DELIVERY)
    for sid in THE_THREE_DENIES:
        found = statement(policy, sid)
        assert found["Effect"] == "Deny"
        assert f"{LOGS}/*" in (
            found["Resource"] if sid == "DenyInsecureTransport" else [found["Resource"]]
        )


def test_log_delivery_from_a_listed_source_bucket_arrives():
    policy = bucket_policy_document(LOGS, "AES256", LOG_DELIVERY)
    request = log_delivery("arn:aws:s3:::platform-dev-media-0123456789")
    assert denied_by(policy, request) == []
    assert allowed_by(policy, request) == ["AllowS3ServerAccessLogDelivery"]
    grant = statement(policy, "AllowS3ServerAccessLogDelivery")
    assert grant["Principal"] == {"Service": LOG_DELIVERY_SERVICE}
    assert grant["Resource"] == f"{LOGS}/{ACCESS_LOG_PREFIX}*"
    assert grant["Condition"] == {
        "ArnLike": {"aws:SourceArn": list(LOG_DELIVERY.source_bucket_arn_patterns)},
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
    }


@pytest.mark.parametrize(
    ("source", "account", "key"),
    [
        ("arn:aws:s3:::someone-elses-bucket", ACCOUNT, "access-logs/x"),
        ("arn:aws:s3:::platform-dev-media-0123456789", "999999999999", "access-logs/x"),
        ("arn:aws:s3:::platform-dev-media-0123456789", ACCOUNT, "elsewhere/x"),
    ],
    ids=["other source bucket", "other account", "outside the log prefix"],
)
def test_log_delivery_is_not_granted_for_other_sources_accounts_or_prefixes(source, account, key):
    policy = bucket_policy_document(LOGS, "AES256", LOG_DELIVERY)
    assert allowed_by(policy, log_delivery(source, account, key)) == []


@pytest.mark.parametrize("header", HEADER_VALUES)
def test_nobody_but_log_delivery_writes_to_the_log_bucket(header):
    policy = bucket_policy_document(LOGS, "AES256", LOG_DELIVERY)
    request = put_object(f"{LOGS}/access-logs/forged", sse=header)
    denied = denied_by(policy, request)
    assert "DenyWritesExceptLogDelivery" in denied
    if header != "AES256":  # the header denies still hold for everyone but log delivery
        assert {"DenyUnencryptedObjectUploads", "DenyIncorrectEncryptionHeader"} & set(denied)


def test_another_aws_service_gets_no_exemption_from_the_header_denies():
    policy = bucket_policy_document(LOGS, "AES256", LOG_DELIVERY)
    request = put_object(f"{LOGS}/access-logs/x", service="cloudtrail.amazonaws.com")
    assert "DenyUnencryptedObjectUploads" in denied_by(policy, request)


def test_log_delivery_over_plain_http_would_still_be_denied():
    policy = bucket_policy_document(LOGS, "AES256", LOG_DELIVERY)
    request = put_object(
        f"{LOGS}/access-logs/x",
        tls=False,
        service=LOG_DELIVERY_SERVICE,
        source_arn="arn:aws:s3:::platform-dev-media-0",
        source_account=ACCOUNT,
    )
    assert denied_by(policy, request) == ["DenyInsecureTransport"]


# --- load balancer access logs ----------------------------------------------------------------
# Who writes ELB access logs, by Region, and the only encryption they support (SSE-S3):
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
# In Regions available before August 2022 an Elastic Load Balancing account of the Region writes
# (us-east-1: 127311923021); in later ones the service principal
# logdelivery.elasticloadbalancing.amazonaws.com does.
ELB_US_EAST_1 = "127311923021"
ELB_KEY = f"load-balancer/AWSLogs/{ACCOUNT}/elasticloadbalancing/us-east-1/2026/11/30/x.log.gz"


def elb_bucket_policy(region: str) -> dict:
    elb = ElbLogDelivery(region=region, partition="aws", account_id=ACCOUNT, prefix="load-balancer")
    delivery = LogDelivery(ACCOUNT, LOG_DELIVERY.source_bucket_arn_patterns, elb=elb)
    return bucket_policy_document(LOGS, "AES256", delivery)


def elb_delivery(region: str, key: str = ELB_KEY, source_account: str = ACCOUNT):
    """A log file as ELB delivers it: no encryption header, over TLS, from the Region's writer."""
    if region == "us-east-1":
        return put_object(f"{LOGS}/{key}", account=ELB_US_EAST_1)
    return put_object(
        f"{LOGS}/{key}", service=ELB_LOG_DELIVERY_SERVICE, source_account=source_account
    )


@pytest.mark.parametrize("region", ["us-east-1", "ap-southeast-4"])
def test_the_regions_elb_writer_delivers_access_logs_under_the_load_balancer_prefix(region):
    policy = elb_bucket_policy(region)
    request = elb_delivery(region)
    assert denied_by(policy, request) == []
    assert allowed_by(policy, request) == ["AllowElbAccessLogDelivery"]


def test_an_old_region_names_elbs_account_and_a_new_one_the_service_principal():
    old = statement(elb_bucket_policy("us-east-1"), "AllowElbAccessLogDelivery")
    new = statement(elb_bucket_policy("ap-southeast-4"), "AllowElbAccessLogDelivery")
    assert old["Principal"] == {"AWS": f"arn:aws:iam::{ELB_US_EAST_1}:root"}
    assert new["Principal"] == {"Service": ELB_LOG_DELIVERY_SERVICE}
    assert new["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    for grant in (old, new):
        assert grant["Action"] == "s3:PutObject"
        assert grant["Resource"] == f"{LOGS}/load-balancer/AWSLogs/{ACCOUNT}/*"


@pytest.mark.parametrize("region", ["us-east-1", "ap-southeast-4"])
@pytest.mark.parametrize(
    "key",
    ["access-logs/forged.log", "load-balancer/AWSLogs/999999999999/x.log.gz", "x.log.gz"],
    ids=["server access log prefix", "another account's logs", "bucket root"],
)
def test_elbs_writer_is_granted_nothing_outside_its_prefix(region, key):
    assert allowed_by(elb_bucket_policy(region), elb_delivery(region, key)) == []


def test_elb_delivery_for_another_account_is_not_granted_in_a_new_region():
    request = elb_delivery("ap-southeast-4", source_account="999999999999")
    assert allowed_by(elb_bucket_policy("ap-southeast-4"), request) == []


@pytest.mark.parametrize("region", ["us-east-1", "ap-southeast-4"])
@pytest.mark.parametrize("header", HEADER_VALUES)
def test_every_other_writer_is_still_refused_under_the_load_balancer_prefix(region, header):
    policy = elb_bucket_policy(region)
    for request in (
        put_object(f"{LOGS}/{ELB_KEY}", sse=header, account=ACCOUNT),
        put_object(f"{LOGS}/{ELB_KEY}", sse=header, service="cloudtrail.amazonaws.com"),
    ):
        denied = denied_by(policy, request)
        assert "DenyWritesExceptLogDelivery" in denied
        if header != "AES256":
            assert {"DenyUnencryptedObjectUploads", "DenyIncorrectEncryptionHeader"} & set(denied)


def test_s3_server_access_logs_still_arrive_beside_elb():
    request = log_delivery("arn:aws:s3:::platform-dev-media-0123456789")
    policy = elb_bucket_policy("us-east-1")
    assert denied_by(policy, request) == []
    assert allowed_by(policy, request) == ["AllowS3ServerAccessLogDelivery"]


def test_elb_over_plain_http_would_still_be_denied():
    request = put_object(f"{LOGS}/{ELB_KEY}", account=ELB_US_EAST_1, tls=False)
    assert denied_by(elb_bucket_policy("us-east-1"), request) == ["DenyInsecureTransport"]


def test_the_stacks_log_bucket_admits_the_us_east_1_elb_writer(stack_plan):
    plan = stack_plan("dev")
    policy = json.loads(plan.named("platform-access-logs-policy").inputs["policy"])
    logs = plan.named("platform-access-logs-bucket").outputs["arn"]
    grant = statement(policy, "AllowElbAccessLogDelivery")
    assert grant["Principal"] == {"AWS": f"arn:aws:iam::{ELB_US_EAST_1}:root"}
    assert grant["Resource"] == f"{logs}/load-balancer/AWSLogs/123456789012/*"


# --- the evaluator itself --------------------------------------------------------------------


def test_the_evaluator_follows_iams_rules_for_missing_keys():
    def applies(condition: dict, context: dict) -> bool:
        policy = {
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": "*",
                    "Condition": condition,
                }
            ]
        }
        return denied_by(policy, Request("s3:PutObject", "arn:aws:s3:::b/k", context)) != []

    assert applies({"StringNotEquals": {"k": "v"}}, {}) is True
    assert applies({"StringEquals": {"k": "v"}}, {}) is False
    assert applies({"Bool": {"k": "false"}}, {}) is False
    assert applies({"Null": {"k": "true"}}, {}) is True
    assert applies({"Null": {"k": "false"}}, {}) is False
    assert applies({"Null": {"k": "true"}}, {"k": "v"}) is False
    assert applies({"StringNotEquals": {"k": ["a", "b"]}}, {"k": "b"}) is False
    assert (
        applies({"StringEquals": {"k": "v"}, "Null": {"j": "true"}}, {"k": "v", "j": "x"}) is False
    )
    # StringLike and ArnEquals take wildcards and are false for a missing key, like ArnLike.
    assert applies({"StringLike": {"k": "v*"}}, {"k": "value"}) is True
    assert applies({"StringLike": {"k": "v*"}}, {}) is False
    assert (
        applies({"ArnEquals": {"k": "arn:aws:sns:*:1:pub"}}, {"k": "arn:aws:sns:r:1:pub"}) is True
    )
    with pytest.raises(NotImplementedError):
        applies({"NumericLessThan": {"k": "5"}}, {"k": "4"})
