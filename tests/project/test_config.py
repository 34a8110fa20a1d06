"""Stack settings: bad config is refused before anything is registered, naming key and value."""

from __future__ import annotations

import dataclasses
import json

import pytest
import yaml

from components.network.args import NetworkArgs
from components.settings import DEPRECATED_KEYS, KNOWN_KEYS, SettingsError, parse_settings
from tools.offline import PROJECT_ROOT, ProgramFailed, config_string, run_program

BAD_CONFIGS = [
    ({"queueMaxReceiveCount": "0"}, "platform:queueMaxReceiveCount", "'0'"),
    (
        {"queueVisibilityTimeoutSeconds": "179"},
        "platform:queueVisibilityTimeoutSeconds",
        "'179' must be at least six times consumerTimeoutSeconds (30)",
    ),
    (
        {"consumerTimeoutSeconds": "60"},
        "platform:queueVisibilityTimeoutSeconds",
        "'180' must be at least six times consumerTimeoutSeconds (60)",
    ),
    ({"queueRetentionSeconds": "59"}, "platform:queueRetentionSeconds", "'59'"),
    ({"queueRetentionSeconds": "1209601"}, "platform:queueRetentionSeconds", "'1209601'"),
    ({"queueMaxMessageBytes": "1023"}, "platform:queueMaxMessageBytes", "'1023'"),
    ({"queueDelaySeconds": "901"}, "platform:queueDelaySeconds", "'901'"),
    ({"consumerBatchSize": "11"}, "platform:consumerBatchSize", "'11'"),
    ({"fanoutQueues": '["Sub_1"]'}, "platform:fanoutQueues", "Sub_1"),
    ({"fanoutQueues": '["sub", "sub"]'}, "platform:fanoutQueues", "more than once"),
    ({"fanoutQueues": "[]"}, "platform:fanoutQueues", "at least one queue"),
    ({"streamMode": "SERVERLESS"}, "platform:streamMode", "SERVERLESS"),
    ({"streamShardCount": "0"}, "platform:streamShardCount", "'0'"),
    ({"streamRetentionHours": "23"}, "platform:streamRetentionHours", "'23'"),
    ({"streamRetentionHours": "8761"}, "platform:streamRetentionHours", "'8761'"),
    ({"firehoseBufferSizeMb": "0"}, "platform:firehoseBufferSizeMb", "'0'"),
    ({"firehoseBufferSizeMb": "129"}, "platform:firehoseBufferSizeMb", "'129'"),
    ({"firehoseBufferIntervalSeconds": "901"}, "platform:firehoseBufferIntervalSeconds", "'901'"),
    ({"uploadPrefix": ""}, "platform:uploadPrefix", "its own output"),
    ({"uploadPrefix": "/uploads"}, "platform:uploadPrefix", "/uploads"),
    ({"uploadRetryAttempts": "3"}, "platform:uploadRetryAttempts", "'3'"),
    ({"uploadMaxEventAgeSeconds": "59"}, "platform:uploadMaxEventAgeSeconds", "'59'"),
    ({"uploadNotifyEmail": "nobody"}, "platform:uploadNotifyEmail", "nobody"),
    ({"messagingLogRetentionDays": "45"}, "platform:messagingLogRetentionDays", "'45'"),
    ({"vpcCidr": "10.0.0.0/33"}, "platform:vpcCidr", "10.0.0.0/33"),
    ({"vpcCidr": "banana"}, "platform:vpcCidr", "banana"),
    ({"vpcCidr": "8.8.0.0/16"}, "platform:vpcCidr", "8.8.0.0/16"),
    ({"vpcCidr": "10.0.0.1/16"}, "platform:vpcCidr", "10.0.0.1/16"),
    ({"vpcCidr": "10.0.0.0/8"}, "platform:vpcCidr", "10.0.0.0/8"),
    ({"availabilityZoneCount": "1"}, "platform:availabilityZoneCount", "'1'"),
    ({"availabilityZoneCount": "7"}, "platform:availabilityZoneCount", "'7'"),
    ({"availabilityZoneCount": "two"}, "platform:availabilityZoneCount", "two"),
    ({"natStrategy": "two"}, "platform:natStrategy", "two"),
    ({"adminCidr": "0.0.0.0/0"}, "platform:adminCidr", "0.0.0.0/0"),
    ({"adminCidr": "::/0"}, "platform:adminCidr", "::/0"),
    ({"adminCidr": "203.0.113.300/32"}, "platform:adminCidr", "203.0.113.300/32"),
    ({"logRetentionDays": "0"}, "platform:logRetentionDays", "'0'"),
    ({"logRetentionDays": "45"}, "platform:logRetentionDays", "'45'"),
    ({"flowLogRetentionDays": "0"}, "platform:flowLogRetentionDays", "'0'"),
    ({"flowLogRetentionDays": "-7"}, "platform:flowLogRetentionDays", "'-7'"),
    ({"flowLogRetentionDays": "45"}, "platform:flowLogRetentionDays", "'45'"),
    ({"flowLogTrafficType": "SOME"}, "platform:flowLogTrafficType", "SOME"),
    ({"enableBastion": "true"}, "platform:enableBastion", "needs adminCidr"),
    ({"enableBastion": "yes"}, "platform:enableBastion", "yes"),
    ({"mapPublicIpOnLaunch": "sometimes"}, "platform:mapPublicIpOnLaunch", "sometimes"),
    ({"publicSubnetPrefixLength": "30"}, "platform:publicSubnetPrefixLength", "'30'"),
    (
        {"vpcCidr": "10.0.0.0/24", "availabilityZoneCount": "3"},
        "platform:publicSubnetPrefixLength",
        "do not fit in vpcCidr 10.0.0.0/24",
    ),
    (
        {"publicSubnetCidrs": '["10.0.0.0/24", "10.0.0.128/25"]'},
        "platform:publicSubnetCidrs",
        "overlaps",
    ),
    (
        {"publicSubnetCidrs": '["10.0.0.0/24", "10.1.0.0/24"]'},
        "platform:publicSubnetCidrs",
        "10.1.0.0/24",
    ),
    ({"privateSubnetCidrs": '["10.0.16.0/20"]'}, "platform:privateSubnetCidrs", "one block per AZ"),
    (
        {
            "publicSubnetCidrs": '["10.0.0.0/24", "10.0.1.0/24"]',
            "privateSubnetCidrs": '["10.0.1.0/24", "10.0.32.0/20"]',
        },
        "platform:privateSubnetCidrs",
        "overlaps",
    ),
    ({"privateSubnetCidrs": "10.0.16.0/20"}, "platform:privateSubnetCidrs", "list of strings"),
    ({"dbEngineVersion": "5.7"}, "platform:dbEngineVersion", "5.7"),
    ({"dbEngineVersion": "eight"}, "platform:dbEngineVersion", "eight"),
    ({"dbInstanceClass": "t3.micro"}, "platform:dbInstanceClass", "t3.micro"),
    ({"dbAllocatedStorageGb": "10"}, "platform:dbAllocatedStorageGb", "'10'"),
    ({"dbMaxAllocatedStorageGb": "70000"}, "platform:dbMaxAllocatedStorageGb", "'70000'"),
    (
        {"dbAllocatedStorageGb": "100", "dbMaxAllocatedStorageGb": "50"},
        "platform:dbMaxAllocatedStorageGb",
        "50 must be above allocated_storage_gb (100)",
    ),
    ({"dbName": "word-press"}, "platform:dbName", "word-press"),
    ({"dbUsername": "rdsadmin"}, "platform:dbUsername", "rdsadmin"),
    ({"dbBackupRetentionDays": "0"}, "platform:dbBackupRetentionDays", "'0'"),
    ({"dbBackupRetentionDays": "36"}, "platform:dbBackupRetentionDays", "'36'"),
    ({"dbMultiAz": "maybe"}, "platform:dbMultiAz", "maybe"),
    # The edge (docs/edge.md): each problem names the key and the value.
    ({"domainName": "not a domain"}, "platform:domainName", "'not a domain' is not a domain"),
    ({"domainName": "https://example.com"}, "platform:domainName", "https://example.com"),
    ({"hostedZoneId": "zone-1"}, "platform:hostedZoneId", "zone-1"),
    (
        {
            "domainName": "example.com",
            "siteCertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/"
            "12345678-1234-1234-1234-123456789012",
        },
        "platform:siteCertificateArn",
        "is in eu-west-1; this certificate must be in us-east-1",
    ),
    ({"siteCertificateArn": "my-certificate"}, "platform:siteCertificateArn", "my-certificate"),
    ({"hostedZoneId": "Z0123456789ABC"}, "platform:hostedZoneId", "needs domain_name"),
    ({"wafRateLimit": "5"}, "platform:wafRateLimit", "'5' must be between 10 and 2,000,000,000"),
    ({"wafRateLimit": "3000000000"}, "platform:wafRateLimit", "'3000000000'"),
    ({"edgePriceClass": "PriceClass_Cheap"}, "platform:edgePriceClass", "PriceClass_Cheap"),
    ({"edgeLogRetentionDays": "45"}, "platform:edgeLogRetentionDays", "'45'"),
    ({"dnsRecords": "www A 192.0.2.1"}, "platform:dnsRecords", "www A 192.0.2.1"),
    (
        {"domainName": "example.com", "dnsRecords": '[{"name": "www", "type": "A", "ttl": 60}]'},
        "platform:dnsRecords[0].values",
        "give exactly one",
    ),
    ({"dbDeletionProtection": "on"}, "platform:dbDeletionProtection", "on"),
    ({"dbFinalSnapshot": "yes"}, "platform:dbFinalSnapshot", "yes"),
    ({"dbPassword": "short"}, "platform:dbPassword", "[secret] must be 8 to 41"),
    ({"monitorSites": '["ftp://example.com"]'}, "platform:monitorSites", "ftp://example.com"),
    ({"monitorSites": '["https://me:pw@example.com"]'}, "platform:monitorSites", "credentials"),
    ({"monitorSites": '["https:///path"]'}, "platform:monitorSites", "URL has no host"),
    ({"monitorSites": "https://example.com"}, "platform:monitorSites", "list of URLs"),
    (
        {"monitorSites": '["https://a.example.com/", "http://localhost/"]'},
        "platform:monitorSites[1]",
        "'http://localhost/' is refused: loopback host name localhost",
    ),
    (
        {"monitorSites": '["http://10.0.0.5/"]'},
        "platform:monitorSites[0]",
        "'http://10.0.0.5/' is refused: private address 10.0.0.5",
    ),
    (
        {"monitorSites": '["http://169.254.169.254/latest/meta-data/"]'},
        "platform:monitorSites[0]",
        "link-local address 169.254.169.254",
    ),
    (
        {"monitorSites": '[{"url": "https://a.example.com/", "keywrd": "x"}]'},
        "platform:monitorSites[0]",
        "unknown keys ['keywrd']",
    ),
    (
        {"monitorSites": '[{"url": "https://a.example.com/", "expected_status": [700]}]'},
        "platform:monitorSites[0]",
        "expected_status must be",
    ),
    ({"monitorCertExpiryDays": "-1"}, "platform:monitorCertExpiryDays", "'-1'"),
    (
        {"monitorWebhookUrl": "http://127.0.0.1/hook"},
        "platform:monitorWebhookUrl",
        "[secret] is refused: loopback address 127.0.0.1",
    ),
    (
        {
            "monitorSites": json.dumps([f"https://site{n}.example.com" for n in range(40)]),
            "monitorMaxWorkers": "1",
            "monitorTimeoutSeconds": "25",
        },
        "platform:monitorSites",
        "raise max_workers",
    ),
    ({"monitorScheduleMinutes": "0"}, "platform:monitorScheduleMinutes", "'0'"),
    ({"monitorScheduleMinutes": "1441"}, "platform:monitorScheduleMinutes", "'1441'"),
    ({"monitorFailureThreshold": "11"}, "platform:monitorFailureThreshold", "'11'"),
    ({"monitorTimeoutSeconds": "26"}, "platform:monitorTimeoutSeconds", "'26'"),
    ({"monitorMaxWorkers": "0"}, "platform:monitorMaxWorkers", "'0'"),
    ({"alertEmail": "not-an-email"}, "platform:alertEmail", "not-an-email"),
    ({"monitorApiAuthorization": "OPEN"}, "platform:monitorApiAuthorization", "OPEN"),
    ({"monitorLogRetentionDays": "45"}, "platform:monitorLogRetentionDays", "'45'"),
    ({"alertPhoneNumber": "555-0123"}, "platform:alertPhoneNumber", "[secret] must be an E.164"),
    ({"efsPerformanceMode": "fast"}, "platform:efsPerformanceMode", "fast"),
    ({"efsPerformanceMode": "maxIO"}, "platform:efsPerformanceMode", "elastic"),
    ({"efsThroughputMode": "turbo"}, "platform:efsThroughputMode", "turbo"),
    ({"bucketSseAlgorithm": "aws:kms:dsse"}, "platform:bucketSseAlgorithm", "aws:kms:dsse"),
    (
        # CloudFront could not decrypt the media bucket: the stack cannot grant it on that key.
        {
            "bucketSseAlgorithm": "aws:kms",
            "bucketKmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/abcd",
        },
        "platform:bucketKmsKeyArn = 'arn:aws:kms:us-east-1:123456789012:key/abcd'",
        "CloudFront serves it through Origin Access Control",
    ),
    (
        {"bucketKmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/abcd"},
        "platform:bucketKmsKeyArn",
        "only used with bucketSseAlgorithm aws:kms",
    ),
    (
        {"bucketSseAlgorithm": "aws:kms", "bucketKmsKeyArn": "my-key"},
        "platform:bucketKmsKeyArn",
        "my-key",
    ),
    ({"bucketCorsAllowedOrigins": '["*"]'}, "platform:bucketCorsAllowedOrigins", "'*'"),
    (
        {"bucketCorsAllowedOrigins": '["ftp://files.example.com"]'},
        "platform:bucketCorsAllowedOrigins",
        "ftp://files.example.com",
    ),
    ({"noncurrentVersionExpirationDays": "0"}, "platform:noncurrentVersionExpirationDays", "'0'"),
    ({"apiAuthorization": "IAM"}, "platform:apiAuthorization", "IAM"),
    ({"apiAuthorization": "none"}, "platform:apiAuthorization", "none"),
    ({"apiThrottleRateLimit": "0"}, "platform:apiThrottleRateLimit", "'0'"),
    ({"apiThrottleRateLimit": "fast"}, "platform:apiThrottleRateLimit", "fast"),
    ({"apiThrottleBurstLimit": "5001"}, "platform:apiThrottleBurstLimit", "'5001'"),
    ({"apiLogRetentionDays": "45"}, "platform:apiLogRetentionDays", "'45'"),
    ({"apiMemoryMb": "64"}, "platform:apiMemoryMb", "'64'"),
    ({"apiMemoryMb": "10241"}, "platform:apiMemoryMb", "'10241'"),
    ({"apiTimeoutSeconds": "30"}, "platform:apiTimeoutSeconds", "'30'"),
    ({"apiTimeoutSeconds": "0"}, "platform:apiTimeoutSeconds", "'0'"),
    ({"webMinSize": "3", "webMaxSize": "2"}, "platform:webMinSize", "above webMaxSize"),
    ({"webDesiredCapacity": "9"}, "platform:webDesiredCapacity", "'9' must lie between"),
    (
        {
            "webCertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
        },
        "platform:webCertificateArn",
        "is in eu-west-1",
    ),
    ({"webCertificateArn": "my-cert"}, "platform:webCertificateArn", "my-cert"),
    ({"webHealthCheckPath": "healthy.html"}, "platform:webHealthCheckPath", "healthy.html"),
    ({"webInstanceType": "z1d.large"}, "platform:webInstanceType", "unknown instance family 'z1d'"),
    ({"webArchitecture": "sparc"}, "platform:webArchitecture", "sparc"),
    ({"webWordpressVersion": "7.x"}, "platform:webWordpressVersion", "7.x"),
    ({"webWordpressSha1": "nope"}, "platform:webWordpressSha1", "nope"),
]


@pytest.mark.parametrize(
    ("overrides", "key", "shown"), BAD_CONFIGS, ids=[c[1] + ":" + str(c[0]) for c in BAD_CONFIGS]
)
def test_bad_config_is_refused_naming_key_and_value_before_anything_is_registered(
    overrides, key, shown
):
    with pytest.raises(ProgramFailed) as failure:
        run_program("dev", config_overrides=overrides)
    error = failure.value.__cause__
    assert isinstance(error, SettingsError)
    assert any(key in problem and shown in problem for problem in error.problems), error.problems
    assert failure.value.plan.resources == []


def test_sites_may_be_urls_or_objects_with_their_checks():
    sites = [
        "https://example.com/",
        {
            "url": "https://shop.example.com/health",
            "keyword": "In stock",
            "forbidden_keyword": "Error",
            "expected_status": [200, 204],
        },
    ]

    settings = parse_settings({"monitorSites": json.dumps(sites)}, project="platform", stack="dev")

    assert list(settings.monitor.sites) == sites


def test_a_refused_webhook_url_is_named_but_never_shown():
    with pytest.raises(SettingsError) as failure:
        parse_settings(
            {"monitorWebhookUrl": "http://10.1.2.3/hooks/T000/secret-token"},
            project="platform",
            stack="dev",
        )
    [problem] = failure.value.problems
    assert problem.startswith("platform:monitorWebhookUrl = [secret] is refused: private address")
    assert "secret-token" not in problem


def test_a_bad_phone_number_is_named_but_never_shown():
    with pytest.raises(SettingsError) as failure:
        parse_settings({"alertPhoneNumber": "+44 7911 864213"}, project="platform", stack="dev")
    [problem] = failure.value.problems
    assert "platform:alertPhoneNumber" in problem
    assert "7911" not in problem and "864213" not in problem


def test_every_problem_is_reported_at_once():
    with pytest.raises(SettingsError) as failure:
        parse_settings(
            {"vpcCidr": "nope", "natStrategy": "two", "flowLogRetentionDays": "0"},
            project="platform",
            stack="dev",
        )
    assert [problem.split(" ")[0] for problem in failure.value.problems] == [
        "platform:vpcCidr",
        "platform:natStrategy",
        "platform:flowLogRetentionDays",
    ]


def test_an_unknown_key_is_named():
    with pytest.raises(SettingsError, match="platform:vpcCIDR"):
        parse_settings({"vpcCIDR": "10.0.0.0/16"}, project="platform", stack="dev")


def test_a_misspelt_key_in_the_stack_stops_the_program_before_anything_is_registered():
    with pytest.raises(ProgramFailed) as failure:
        run_program("prod", config_overrides={"natStrategey": "per-az"})
    assert "platform:natStrategey is not a setting of this project" in str(failure.value.__cause__)
    assert failure.value.plan.resources == []


def test_a_misspelt_secret_key_is_named_without_its_value():
    with pytest.raises(ProgramFailed) as failure:
        run_program("dev", secrets={"alertPhoneNumbr": "+15555550123"})
    message = str(failure.value.__cause__)
    assert "platform:alertPhoneNumbr" in message
    assert "5555550123" not in message


def test_good_config_gives_a_frozen_typed_settings_object():
    settings = parse_settings(
        {
            "vpcCidr": "10.20.0.0/16",
            "availabilityZoneCount": "3",
            "natStrategy": "per-az",
            "adminCidr": "203.0.113.0/24",
            "enableBastion": "true",
        },
        project="platform",
        stack="prod",
    )
    assert settings.network.availability_zone_count == 3
    assert settings.network.nat_strategy == "per-az"
    assert settings.network.admin_cidr == "203.0.113.0/24"
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.network.vpc_cidr = "10.9.0.0/16"  # type: ignore[misc]


def test_derived_subnets_are_carved_public_first_and_aligned():
    public, private = NetworkArgs(availability_zone_count=3).subnet_layout()
    assert public == ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]
    assert private == ["10.0.16.0/20", "10.0.32.0/20", "10.0.48.0/20"]


def test_explicit_subnets_are_used_as_given():
    settings = parse_settings(
        {
            "publicSubnetCidrs": '["10.0.1.0/24", "10.0.2.0/24"]',
            "privateSubnetCidrs": '["10.0.128.0/20", "10.0.144.0/20"]',
        },
        project="platform",
        stack="dev",
    )
    assert settings.network.subnet_layout() == (
        ["10.0.1.0/24", "10.0.2.0/24"],
        ["10.0.128.0/20", "10.0.144.0/20"],
    )


def test_pulumi_yaml_declares_every_setting_with_type_description_and_the_code_default():
    declared = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())["config"]
    # Renamed keys still work for a release, undeclared: a declared default would always set them.
    assert set(declared) == set(KNOWN_KEYS) - set(DEPRECATED_KEYS)
    defaults = parse_settings({}, project="platform", stack="dev")
    for key, spec in declared.items():
        # monitorSites mixes URLs and objects, dnsRecords holds objects: a typed Pulumi array
        # cannot declare either (its items are string, integer, boolean or array).
        untyped = key in ("monitorSites", "dnsRecords")
        assert (spec.get("type") or untyped) and spec.get("description"), key
        as_config = {key: config_string(spec["default"])}
        assert parse_settings(as_config, project="platform", stack="dev") == defaults, key
