"""EncryptedBucket under the mocks: the program's buckets in dev and prod, and the component alone."""

from __future__ import annotations

import json

import pulumi_aws as aws
import pytest

from components.data.bucket_args import CorsRule, EncryptedBucketArgs
from components.data.bucket_policies import ACCESS_LOG_PREFIX, write_policy_document
from components.data.buckets import EncryptedBucket
from tools.offline import Plan, PlannedResource, ProgramFailed, run_program

BUCKET = "aws:s3/bucket:Bucket"
PER_BUCKET = {
    "encryption": "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "public access block": "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "ownership": "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "versioning": "aws:s3/bucketVersioning:BucketVersioning",
    "lifecycle": "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "policy": "aws:s3/bucketPolicy:BucketPolicy",
}
LOGGING = "aws:s3/bucketLogging:BucketLogging"
CORS = "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
THE_THREE_DENIES = {
    "DenyInsecureTransport",
    "DenyUnencryptedObjectUploads",
    "DenyIncorrectEncryptionHeader",
}


def attached(plan: Plan, resource_type: str, bucket: PlannedResource) -> list[PlannedResource]:
    return [r for r in plan.of_type(resource_type) if r.inputs.get("bucket") == bucket.id]


def log_targets(plan: Plan) -> set[str]:
    return {logging.inputs["targetBucket"] for logging in plan.of_type(LOGGING)}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_bucket_is_encrypted_private_owned_versioned_logged_and_policed(stack_plan, stack):
    plan = stack_plan(stack)
    buckets = plan.of_type(BUCKET)
    assert len(buckets) == 5  # media, code, maintenance (the edge's), stream, access logs
    targets = log_targets(plan)
    for bucket in buckets:
        for what, resource_type in PER_BUCKET.items():
            assert len(attached(plan, resource_type, bucket)) == 1, f"{bucket.name}: {what}"
        (sse,) = attached(plan, PER_BUCKET["encryption"], bucket)
        algorithm = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"]
        # The stream's bucket is SSE-KMS with the stream's key: Firehose sends aws:kms.
        stream_bucket = bucket.inputs["bucketPrefix"].startswith(f"platform-{stack}-stream-")
        assert algorithm == ("aws:kms" if stream_bucket else "AES256")
        (block,) = attached(plan, PER_BUCKET["public access block"], bucket)
        for flag in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        ):
            assert block.inputs[flag] is True, f"{bucket.name}: {flag}"
        (ownership,) = attached(plan, PER_BUCKET["ownership"], bucket)
        assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
        (versioning,) = attached(plan, PER_BUCKET["versioning"], bucket)
        assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
        (lifecycle,) = attached(plan, PER_BUCKET["lifecycle"], bucket)
        assert lifecycle.inputs["rules"][0]["noncurrentVersionExpiration"] == {"noncurrentDays": 90}
        (policy,) = attached(plan, PER_BUCKET["policy"], bucket)
        document = json.loads(policy.inputs["policy"])
        denies = {s["Sid"]: s for s in document["Statement"] if s["Effect"] == "Deny"}
        assert THE_THREE_DENIES <= set(denies)
        arn = bucket.outputs["arn"]
        assert denies["DenyInsecureTransport"]["Resource"] == [arn, f"{arn}/*"]
        assert denies["DenyUnencryptedObjectUploads"]["Resource"] == f"{arn}/*"
        assert denies["DenyIncorrectEncryptionHeader"]["Resource"] == f"{arn}/*"
        # The log bucket receives the logs; it does not log into itself (an endless loop).
        logging = attached(plan, LOGGING, bucket)
        assert len(logging) == (0 if bucket.id in targets else 1), bucket.name
    assert len(targets) == 1


def test_content_buckets_log_to_the_log_bucket_which_accepts_exactly_them(stack_plan):
    plan = stack_plan("dev")
    (target,) = log_targets(plan)
    log_bucket = next(b for b in plan.of_type(BUCKET) if b.id == target)
    assert log_bucket.inputs["bucketPrefix"] == "platform-dev-logs-"
    prefixes = {logging.inputs["targetPrefix"] for logging in plan.of_type(LOGGING)}
    assert prefixes == {
        f"{ACCESS_LOG_PREFIX}platform-{role}/"
        for role in ("media", "code", "maintenance", "stream")
    }
    (policy,) = attached(plan, PER_BUCKET["policy"], log_bucket)
    grant = next(
        s for s in json.loads(policy.inputs["policy"])["Statement"] if s["Effect"] == "Allow"
    )
    assert grant["Condition"]["ArnLike"]["aws:SourceArn"] == [
        "arn:aws:s3:::platform-dev-media-*",
        "arn:aws:s3:::platform-dev-code-*",
        "arn:aws:s3:::platform-dev-maintenance-*",
        "arn:aws:s3:::platform-dev-stream-*",
    ]
    assert grant["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"
    for logging in plan.of_type(LOGGING):
        source = next(b for b in plan.of_type(BUCKET) if b.id == logging.inputs["bucket"])
        assert source.inputs["bucketPrefix"] in (
            "platform-dev-media-",
            "platform-dev-code-",
            "platform-dev-maintenance-",
            "platform-dev-stream-",
        )
        assert policy.urn in logging.dependencies  # logging starts after delivery is allowed


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_in_a_preview_each_policy_is_linked_to_its_bucket_by_property_dependency(stack_plan, stack):
    plan = stack_plan(stack, preview=True)
    buckets = {bucket.urn for bucket in plan.of_type(BUCKET)}
    policies = plan.of_type(PER_BUCKET["policy"])
    assert len(policies) == 5
    linked = set()
    for policy in policies:
        (bucket_urn,) = policy.property_dependencies["bucket"]
        assert bucket_urn in buckets
        # The document depends on its bucket, and for the buckets CloudFront reads on the
        # distribution it admits (AWS:SourceArn), nothing else.
        others = set(policy.property_dependencies["policy"]) - {bucket_urn}
        assert bucket_urn in policy.property_dependencies["policy"]
        assert {plan.by_urn(urn).type for urn in others} <= {
            "aws:cloudfront/distribution:Distribution"
        }
        linked.add(bucket_urn)
    assert linked == buckets


def test_kms_setting_encrypts_content_buckets_with_their_own_keys_but_logs_stay_sse_s3():
    plan = run_program("dev", config_overrides={"bucketSseAlgorithm": "aws:kms"})
    keys = {key.outputs["arn"]: key for key in plan.of_type("aws:kms/key:Key")}
    (target,) = log_targets(plan)
    for bucket in plan.of_type(BUCKET):
        (sse,) = attached(plan, PER_BUCKET["encryption"], bucket)
        rule = sse.inputs["rules"][0]
        (policy,) = attached(plan, PER_BUCKET["policy"], bucket)
        wrong = next(
            s
            for s in json.loads(policy.inputs["policy"])["Statement"]
            if s["Sid"] == "DenyIncorrectEncryptionHeader"
        )
        # The log bucket (S3 log delivery) and the maintenance page (CloudFront OAC without a
        # KMS grant) stay SSE-S3.
        sse_s3 = bucket.id == target or bucket.inputs["bucketPrefix"].startswith(
            "platform-dev-maintenance-"
        )
        expected = "AES256" if sse_s3 else "aws:kms"
        assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == expected
        assert wrong["Condition"]["StringNotEquals"]["s3:x-amz-server-side-encryption"] == expected
        if expected == "aws:kms" and "-stream-" not in bucket.inputs["bucketPrefix"]:
            # A key of its own, whose policy lets CloudFront decrypt this bucket only.
            key = keys[rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]]
            assert key.parent == bucket.parent
            readers = [
                s
                for s in json.loads(key.inputs["policy"])["Statement"]
                if s["Principal"] == {"Service": "cloudfront.amazonaws.com"}
            ]
            if bucket.inputs["bucketPrefix"].startswith("platform-dev-media-"):
                (reader,) = readers
                assert reader["Action"] == "kms:Decrypt"
                condition = reader["Condition"]["StringEquals"]
                assert condition["kms:EncryptionContext:aws:s3:arn"] == bucket.outputs["arn"]
                assert condition["AWS:SourceArn"].startswith("arn:aws:cloudfront::")
            else:
                assert readers == []
            assert rule["bucketKeyEnabled"] is True


def test_cors_origins_open_only_the_media_bucket_to_those_sites():
    plan = run_program(
        "dev", config_overrides={"bucketCorsAllowedOrigins": '["https://www.example.com"]'}
    )
    (cors,) = plan.of_type(CORS)
    media = next(
        b for b in plan.of_type(BUCKET) if b.inputs["bucketPrefix"] == "platform-dev-media-"
    )
    assert cors.inputs["bucket"] == media.id
    (rule,) = cors.inputs["corsRules"]
    assert rule["allowedOrigins"] == ["https://www.example.com"]
    assert rule["allowedMethods"] == ["GET", "HEAD"]
    assert rule["maxAgeSeconds"] == 3000


def test_no_cors_by_default(stack_plan):
    assert stack_plan("dev").of_type(CORS) == []


# --- the component alone -------------------------------------------------------------------


def log_bucket_args(**overrides) -> EncryptedBucketArgs:
    return EncryptedBucketArgs(access_log_source_prefixes=("site-",), **overrides)


def test_grants_write_role_policies_that_match_the_bucket_policy():
    def program():
        logs = EncryptedBucket("logs", log_bucket_args())
        site = EncryptedBucket("site", EncryptedBucketArgs(access_log_bucket=logs))
        role = aws.iam.Role("app", assume_role_policy="{}")
        site.grant_read(role)
        site.grant_write(role)

    plan = run_program("dev", program=program)
    site = plan.named("site-bucket")
    role = plan.named("app")
    policies = {p.name: p for p in plan.of_type(ROLE_POLICY)}
    assert set(policies) == {"site-read-app", "site-write-app"}
    for policy in policies.values():
        assert policy.inputs["role"] == role.id
        assert policy.parent == plan.named("site").urn
    write = json.loads(policies["site-write-app"].inputs["policy"])
    assert write == write_policy_document(site.outputs["arn"], "AES256")


def test_a_log_bucket_accepts_no_grant_write():
    def program():
        logs = EncryptedBucket("logs", log_bucket_args())
        logs.grant_write(aws.iam.Role("app", assume_role_policy="{}"))

    with pytest.raises(ProgramFailed) as failure:
        run_program("dev", program=program)
    assert "grant_write" in str(failure.value.__cause__)


@pytest.mark.parametrize(
    ("args", "argument"),
    [
        (dict(sse_algorithm="aws:kms"), "kms_key_arn"),
        (dict(kms_key_arn=KEY), "kms_key_arn"),
        (dict(sse_algorithm="aws:kms", kms_key_arn="arn:aws:s3:::nope"), "kms_key_arn"),
        (dict(sse_algorithm="aws:kms:dsse"), "sse_algorithm"),
        (dict(noncurrent_version_expiration_days=0), "noncurrent_version_expiration_days"),
        (dict(bucket_prefix="Has_Capitals-"), "bucket_prefix"),
        (dict(bucket_prefix="x" * 38), "bucket_prefix"),
        (dict(cors_rules=(CorsRule(allowed_origins=("*",)),)), "cors_rules"),
        (dict(cors_rules=(CorsRule(allowed_origins=()),)), "cors_rules"),
        (
            dict(
                cors_rules=(
                    CorsRule(allowed_origins=("https://a.example",), allowed_methods=("PATCH",)),
                )
            ),
            "cors_rules",
        ),
    ],
)
def test_invalid_args_raise_naming_the_argument(args, argument):
    with pytest.raises(ValueError, match=f"^{argument}:"):
        log_bucket_args(**args).validate("site")


@pytest.mark.parametrize("prefix", ["AWSLogs", "a/b", ""])
def test_a_load_balancer_log_prefix_must_be_plain_and_on_a_log_bucket(prefix):
    # ELB adds AWSLogs/<account>/ itself and refuses a prefix that holds it:
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
    with pytest.raises(ValueError, match="^load_balancer_log_prefix:"):
        log_bucket_args(load_balancer_log_prefix=prefix).validate("logs")
    with pytest.raises(ValueError, match="^load_balancer_log_prefix:.*receives access logs"):
        EncryptedBucketArgs(load_balancer_log_prefix="load-balancer").validate("site")
    log_bucket_args(load_balancer_log_prefix="load-balancer").validate("logs")


def test_a_log_bucket_must_use_sse_s3():
    with pytest.raises(ValueError, match="^sse_algorithm:.*SSE-S3"):
        log_bucket_args(sse_algorithm="aws:kms", kms_key_arn=KEY).validate("logs")


def test_a_bucket_without_a_log_bucket_is_refused_before_anything_is_registered():
    with pytest.raises(ProgramFailed) as failure:
        run_program("dev", program=lambda: EncryptedBucket("site", EncryptedBucketArgs()))
    assert str(failure.value.__cause__).startswith("access_log_bucket:")
    assert failure.value.plan.resources == []


@pytest.mark.parametrize(
    ("target_args", "message"),
    [
        (EncryptedBucketArgs(access_log_source_prefixes=("other-",)), "accepts logs only from"),
        (None, "does not accept access logs"),
    ],
)
def test_the_log_bucket_must_accept_this_buckets_logs(target_args, message):
    def program():
        logs = EncryptedBucket("logs", log_bucket_args())
        target = (
            EncryptedBucket("target", target_args)
            if target_args
            else EncryptedBucket(
                "target", EncryptedBucketArgs(access_log_bucket=logs, bucket_prefix="site-")
            )
        )
        EncryptedBucket("site", EncryptedBucketArgs(access_log_bucket=target))

    with pytest.raises(ProgramFailed) as failure:
        run_program("dev", program=program)
    assert str(failure.value.__cause__).startswith("access_log_bucket:")
    assert message in str(failure.value.__cause__)
    assert not [r for r in failure.value.plan.resources if r.name.startswith("site")]
