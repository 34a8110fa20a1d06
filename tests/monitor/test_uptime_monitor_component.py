"""The UptimeMonitor component under mocks: scoped IAM, schedule, API, table, alerts, dashboard,
secrets kept secret, and the Lambda archive it ships."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import monitor.metrics
import pulumi
import pytest
from google.protobuf import json_format

from components.common.outputs import exported_outputs
from components.monitor.args import UptimeMonitorArgs
from components.monitor.parts import (
    FUNCTION_DIR,
    LATENCY_METRIC,
    METRICS_NAMESPACE,
    SITE_DIMENSION,
    UP_METRIC,
    schedule_expression,
    scheduled_timeout_seconds,
)
from components.monitor.uptime_monitor import UptimeMonitor
from components.settings import load_settings
from tools.offline import Plan, PlannedResource, run_program

COMPONENT = "platform:uptime_monitor:UptimeMonitor"
FUNCTION = "aws:lambda/function:Function"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
TABLE = "aws:dynamodb/table:Table"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
PERMISSION = "aws:lambda/permission:Permission"
METHOD = "aws:apigateway/method:Method"
INTEGRATION = "aws:apigateway/integration:Integration"
RESOURCE = "aws:apigateway/resource:Resource"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
KEY = "aws:kms/key:Key"
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"
PHONE = "+15555550123"
SITES = ("https://example.com", "https://www.wikipedia.org", "http://status.example.org/health")


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("monitor-build")


@pytest.fixture(scope="module")
def args(build_dir: Path) -> UptimeMonitorArgs:
    return UptimeMonitorArgs(sites=SITES, build_dir=build_dir)


def with_stage(args: UptimeMonitorArgs, **changes: Any) -> UptimeMonitorArgs:
    """`args` with these settings of its stage changed."""
    return replace(args, stage=replace(args.stage, **changes))


def plan_monitor(args: UptimeMonitorArgs, *, phone: str | None = None, preview=False) -> Plan:
    def program() -> None:
        # As the program does: the validated setting, a secret Output or None.
        phone_number = load_settings().monitor.alert_phone_number
        monitor_ = UptimeMonitor("monitor", replace(args, alert_phone_number=phone_number))
        pulumi.export("url", monitor_.url)
        pulumi.export("topicArn", monitor_.topic_arn)

    # Empty: no phone, whether or not the dev stack file carries an encrypted one.
    secrets = {"alertPhoneNumber": phone or ""}
    return run_program("dev", program=program, secrets=secrets, preview=preview)


@pytest.fixture(scope="module")
def plan(args: UptimeMonitorArgs) -> Plan:
    return plan_monitor(args, phone=PHONE)


def one(plan: Plan, resource_type: str) -> PlannedResource:
    [resource] = plan.of_type(resource_type)
    return resource


def policy_statements(plan: Plan, role: str) -> list[dict[str, Any]]:
    return json.loads(plan.named(f"monitor-{role}-policy").inputs["policy"])["Statement"]


def as_lists(statement: dict[str, Any]) -> tuple[list[str], list[str]]:
    actions, resources = statement["Action"], statement["Resource"]
    return (
        [actions] if isinstance(actions, str) else actions,
        [resources] if isinstance(resources, str) else resources,
    )


# --- IAM: each function may do what it does, on those resources ------------------------------


def test_each_role_policy_allows_exactly_its_functions_actions_on_its_resources(plan: Plan):
    table_arn = one(plan, TABLE).outputs["arn"]
    topic_arn = one(plan, TOPIC).outputs["arn"]
    key_arn = one(plan, KEY).outputs["arn"]
    for role in ("http", "scheduled"):
        group_arn = plan.named(f"monitor-{role}-logs").outputs["arn"]
        assert group_arn.endswith(f":log-group:/aws/lambda/monitor-{role}-dev")
        granted = set()
        for statement in policy_statements(plan, role):
            assert statement["Effect"] == "Allow"
            assert "Condition" not in statement and "NotAction" not in statement
            actions, resources = as_lists(statement)
            for action in actions:
                assert "*" not in action, statement
                for resource in resources:
                    assert resource != "*", statement
                    granted.add((action, resource))
        logs = {
            (action, resource)
            for action in ("logs:CreateLogStream", "logs:PutLogEvents")
            for resource in (group_arn, f"{group_arn}:*")
        }
        expected = {
            "http": logs | {("dynamodb:GetItem", table_arn), ("dynamodb:Query", table_arn)},
            "scheduled": logs
            | {
                ("dynamodb:GetItem", table_arn),
                ("dynamodb:PutItem", table_arn),
                ("dynamodb:UpdateItem", table_arn),
                ("sns:Publish", topic_arn),
                # What SNS asks of a publisher to a topic encrypted with a KMS key:
                # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#send-to-encrypted-topic
                ("kms:GenerateDataKey", key_arn),
                ("kms:Decrypt", key_arn),
            },
        }[role]
        assert granted == expected, role


def test_only_lambda_may_assume_either_role(plan: Plan):
    roles = plan.of_type(ROLE)
    assert {role.name for role in roles} == {"monitor-http-role", "monitor-scheduled-role"}
    for role in roles:
        trust = json.loads(role.inputs["assumeRolePolicy"])
        assert trust["Statement"] == [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ]
    functions = {function.name: function for function in plan.of_type(FUNCTION)}
    for role in ("http", "scheduled"):
        role_arn = plan.named(f"monitor-{role}-role").outputs["arn"]
        assert functions[f"monitor-{role}-function"].inputs["role"] == role_arn


def test_functions_run_their_handlers_with_log_groups_created_first(plan: Plan):
    for role, handler in (
        ("http", "monitor.http_handler.handler"),
        ("scheduled", "monitor.scheduled_handler.handler"),
    ):
        function = plan.named(f"monitor-{role}-function")
        log_group = plan.named(f"monitor-{role}-logs")
        assert function.inputs["handler"] == handler
        assert log_group.inputs["name"] == f"/aws/lambda/{function.inputs['name']}"
        assert log_group.inputs["retentionInDays"] == 90
        assert log_group.urn in function.dependencies
        assert plan.named(f"monitor-{role}-policy").urn in function.dependencies
        assert function.inputs["loggingConfig"]["logGroup"] == log_group.inputs["name"]


def test_environment_carries_the_settings_the_function_reads(plan: Plan):
    variables = plan.named("monitor-scheduled-function").inputs["environment"]["variables"]
    assert json.loads(variables["SITES"]) == list(SITES)
    assert variables["TABLE_NAME"] == one(plan, TABLE).outputs["name"]
    assert variables["TOPIC_ARN"] == one(plan, TOPIC).outputs["arn"]
    assert variables["FAILURE_THRESHOLD"] == "2"
    assert variables["TIMEOUT_SECONDS"] == "10"
    assert variables["MAX_WORKERS"] == "32"
    assert variables["METRICS_NAMESPACE"] == monitor.metrics.DEFAULT_NAMESPACE
    assert variables["STACK_NAME"] == "dev"
    assert variables["CERT_EXPIRY_DAYS"] == "14"
    assert "WEBHOOK_URL" not in variables
    http_variables = plan.named("monitor-http-function").inputs["environment"]["variables"]
    assert http_variables == variables


def test_the_webhook_stays_in_secrets_manager_which_only_the_scheduled_function_reads(args):
    """A Lambda environment is plain text to anyone allowed lambda:GetFunctionConfiguration:
    the URL (it holds a token) goes into a secret, and the scheduled function gets only the
    secret's ARN and the right to read it (tests/permissions judges that path)."""
    hook = "https://hooks.example.com/services/T000/B000/secret-token"
    plan = plan_monitor(replace(args, webhook_url=hook))

    (secret,) = plan.of_type("aws:secretsmanager/secret:Secret")
    (version,) = plan.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    assert version.inputs["secretId"] == secret.id
    stored = json_format.MessageToDict(version.properties)["secretString"]
    assert stored[pulumi.runtime.rpc._special_sig_key] == SECRET_SIGNATURE
    for function in plan.of_type("aws:lambda/function:Function"):
        assert hook not in json.dumps(json_format.MessageToDict(function.properties))
        assert "WEBHOOK_URL" not in function.inputs["environment"]["variables"]
    scheduled = plan.named("monitor-scheduled-function").inputs["environment"]["variables"]
    assert scheduled["WEBHOOK_SECRET_ARN"] == secret.outputs["arn"]
    http = plan.named("monitor-http-function").inputs["environment"]["variables"]
    assert "WEBHOOK_SECRET_ARN" not in http
    readers = [
        statement
        for policy in plan.of_type("aws:iam/rolePolicy:RolePolicy")
        for statement in json.loads(policy.inputs["policy"])["Statement"]
        if statement["Action"] == "secretsmanager:GetSecretValue"
    ]
    assert [r["Resource"] for r in readers] == [secret.outputs["arn"]]
    assert hook not in json.dumps(plan.exports)


def test_without_sites_nothing_is_scheduled(args):
    monitors: list[UptimeMonitor] = []

    def program() -> None:
        monitors.append(UptimeMonitor("monitor", replace(args, sites=())))

    plan = run_program("dev", program=program)

    assert [f.name for f in plan.of_type(FUNCTION)] == ["monitor-http-function"]
    assert plan.of_type(RULE) == plan.of_type(DASHBOARD) == plan.of_type(ALARM) == []
    assert {role.name for role in plan.of_type(ROLE)} == {"monitor-http-role"}
    [monitor_] = monitors
    assert monitor_.scheduled_function_name is None and monitor_.dashboard_name is None
    assert set(exported_outputs(monitor_)) == {
        "monitorUrl",
        "alertTopicArn",
        "monitorTableName",
        "monitorHttpFunctionName",
        "monitorHttpLogGroupName",
    }


# --- schedule ------------------------------------------------------------------------------


def test_schedule_rule_targets_the_scheduled_function_with_a_permission_for_that_rule(plan):
    rule = one(plan, RULE)
    assert rule.inputs["scheduleExpression"] == "rate(5 minutes)"
    target = one(plan, TARGET)
    scheduled = plan.named("monitor-scheduled-function")
    assert target.inputs["rule"] == rule.outputs["name"]
    assert target.inputs["arn"] == scheduled.outputs["arn"]
    permission = plan.named("monitor-schedule-permission")
    assert permission.inputs["principal"] == "events.amazonaws.com"
    assert permission.inputs["sourceArn"] == rule.outputs["arn"]
    assert permission.inputs["function"] == scheduled.outputs["name"]
    assert permission.inputs["action"] == "lambda:InvokeFunction"


def test_rate_expression_is_singular_for_one_minute():
    assert schedule_expression(1) == "rate(1 minute)"
    assert schedule_expression(15) == "rate(15 minutes)"


def test_scheduled_runs_never_overlap_and_have_time_for_every_site(plan: Plan, args):
    scheduled = plan.named("monitor-scheduled-function")
    assert scheduled.inputs["reservedConcurrentExecutions"] == 1
    # 3 sites, 8 workers: one batch of 10 s checks plus the margin.
    assert scheduled.inputs["timeout"] == scheduled_timeout_seconds(3, 8, 10) >= 10
    assert scheduled_timeout_seconds(17, 8, 10) == 3 * 10 + 30
    assert scheduled_timeout_seconds(1000, 8, 25) == 900
    http = plan.named("monitor-http-function")
    assert "reservedConcurrentExecutions" not in http.inputs
    assert args.timeout_seconds < http.inputs["timeout"] <= 29


# --- REST API --------------------------------------------------------------------------------


@pytest.mark.parametrize("authorization", ["AWS_IAM", "NONE"])
def test_root_and_proxy_methods_use_the_authorization_of_the_args(args, authorization):
    plan = plan_monitor(with_stage(args, authorization=authorization))
    methods = plan.of_type(METHOD)
    assert len(methods) == 2
    for method in methods:
        assert method.inputs["httpMethod"] == "ANY"
        assert method.inputs["authorization"] == authorization


def test_root_and_proxy_are_aws_proxy_integrations_to_the_http_function(plan: Plan):
    rest_api = one(plan, "aws:apigateway/restApi:RestApi")
    proxy = one(plan, RESOURCE)
    assert proxy.inputs["pathPart"] == "{proxy+}"
    assert proxy.inputs["parentId"] == rest_api.outputs["root_resource_id"]
    resources = {rest_api.outputs["root_resource_id"], proxy.id}
    http = plan.named("monitor-http-function")
    integrations = plan.of_type(INTEGRATION)
    assert {integration.inputs["resourceId"] for integration in integrations} == resources
    for integration in integrations:
        assert integration.inputs["type"] == "AWS_PROXY"
        assert integration.inputs["integrationHttpMethod"] == "POST"
        assert integration.inputs["uri"] == http.outputs["invoke_arn"]
    permission = plan.named("monitor-api-permission")
    assert permission.inputs["principal"] == "apigateway.amazonaws.com"
    assert permission.inputs["function"] == http.outputs["name"]
    assert permission.inputs["sourceArn"] == f"{rest_api.outputs['execution_arn']}/api/*/*"
    settings = one(plan, "aws:apigateway/methodSettings:MethodSettings").inputs["settings"]
    assert settings["throttlingRateLimit"] == 5 and settings["throttlingBurstLimit"] == 10


# --- table, topic, alarm, dashboard ----------------------------------------------------------


def test_table_is_on_demand_encrypted_recoverable_and_expires_history(plan: Plan):
    table = one(plan, TABLE).inputs
    assert table["billingMode"] == "PAY_PER_REQUEST"
    assert (table["hashKey"], table["rangeKey"]) == ("pk", "sk")
    assert sorted(table["attributes"], key=lambda a: a["name"]) == [
        {"name": "pk", "type": "S"},
        {"name": "sk", "type": "S"},
    ]
    assert table["serverSideEncryption"] == {"enabled": True}
    assert table["pointInTimeRecovery"] == {"enabled": True}
    assert table["ttl"] == {"attributeName": "expires_at", "enabled": True}


def test_errors_alarm_on_the_scheduled_function_notifies_the_topic(plan: Plan):
    alarm = one(plan, ALARM).inputs
    topic_arn = one(plan, TOPIC).outputs["arn"]
    assert (alarm["namespace"], alarm["metricName"]) == ("AWS/Lambda", "Errors")
    assert alarm["dimensions"] == {"FunctionName": "monitor-scheduled-dev"}
    assert alarm["alarmActions"] == [topic_arn]
    assert alarm["threshold"] == 1
    assert alarm["comparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_dashboard_has_latency_and_availability_widgets_per_site(plan: Plan):
    dashboard = one(plan, DASHBOARD)
    assert dashboard.inputs["dashboardName"] == "monitor-dev"
    body = json.loads(dashboard.inputs["dashboardBody"])
    # The names the function emits, read from its source, not retyped.
    assert (METRICS_NAMESPACE, SITE_DIMENSION, UP_METRIC, LATENCY_METRIC) == (
        monitor.metrics.DEFAULT_NAMESPACE,
        monitor.metrics.SITE_DIMENSION,
        monitor.metrics.UP_METRIC,
        monitor.metrics.LATENCY_METRIC,
    )
    metrics = {
        tuple(metric)
        for widget in body["widgets"]
        for metric in widget["properties"]["metrics"]
        if metric[0] == METRICS_NAMESPACE
    }
    assert metrics == {
        (METRICS_NAMESPACE, metric, SITE_DIMENSION, url)
        for url in SITES
        for metric in (LATENCY_METRIC, UP_METRIC)
    }
    assert all(widget["properties"]["region"] == "us-east-1" for widget in body["widgets"])


# --- alerts and secrets ----------------------------------------------------------------------


def test_sms_subscription_gets_the_phone_number_as_a_secret(plan: Plan):
    [sms] = [s for s in plan.of_type(SUBSCRIPTION) if s.inputs["protocol"] == "sms"]
    assert sms.inputs["topic"] == one(plan, TOPIC).outputs["arn"]
    endpoint = json_format.MessageToDict(sms.properties)["endpoint"]
    assert endpoint[pulumi.runtime.rpc._special_sig_key] == SECRET_SIGNATURE
    assert endpoint["value"] == PHONE


def test_without_a_phone_number_there_is_no_sms_subscription(args):
    plan = plan_monitor(args)
    assert plan.of_type(SUBSCRIPTION) == []
    assert len(plan.of_type(TOPIC)) == 1


def test_an_email_address_gets_an_email_subscription(args):
    plan = plan_monitor(replace(args, alert_email="ops@example.com"))
    [email] = plan.of_type(SUBSCRIPTION)
    assert (email.inputs["protocol"], email.inputs["endpoint"]) == ("email", "ops@example.com")


def test_the_phone_number_appears_nowhere_in_plain_text(args):
    plan = plan_monitor(args, phone=PHONE)
    assert PHONE not in json.dumps(plan.exports)
    for resource in plan.resources:
        plain = json.dumps(json_format.MessageToDict(resource.properties), default=str).replace(
            f'"value": "{PHONE}"', ""
        )
        if resource.type == SUBSCRIPTION and resource.inputs.get("protocol") == "sms":
            # Only inside the secret wrapper, which the engine encrypts.
            assert SECRET_SIGNATURE in plain
        assert PHONE not in plain, resource.name


def test_every_child_is_parented_to_the_component(plan: Plan):
    [component] = plan.of_type(COMPONENT)
    children = [resource for resource in plan.resources if resource.type != COMPONENT]
    assert children
    for resource in children:
        assert resource.parent == component.urn, resource.name
        assert resource.name.startswith("monitor-"), resource.name
    # The alert topic's key and its alias are the monitor's own.
    assert {"monitor-alert-key", "monitor-alert-alias"} <= {r.name for r in children}


def test_a_preview_plans_with_unknown_arns(args):
    plan = plan_monitor(args, phone=PHONE, preview=True)
    assert len(plan.of_type(FUNCTION)) == 2 and len(plan.of_type(SUBSCRIPTION)) == 1


# --- Args ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "argument"),
    [
        ({"sites": ("ftp://example.com",)}, "sites"),
        ({"sites": ("https://a.example.com", "http://localhost/")}, "sites"),
        ({"sites": ("http://10.0.0.5/",)}, "sites"),
        ({"sites": ({"url": "https://a.example.com", "keyword": ""},)}, "sites"),
        ({"cert_expiry_days": -1}, "cert_expiry_days"),
        ({"webhook_url": "http://169.254.169.254/hook"}, "webhook_url"),
        ({"sites": ("https://user:pw@example.com",)}, "sites"),
        ({"sites": ("https://a.example", "https://a.example")}, "sites"),
        ({"schedule_minutes": 0}, "schedule_minutes"),
        ({"timeout_seconds": 26}, "timeout_seconds"),
        ({"log_retention_days": 45}, "log_retention_days"),
        ({"history_ttl_hours": 12}, "history_ttl_hours"),
        ({"sites": tuple(f"https://s{i}.example" for i in range(300)), "max_workers": 1}, "sites"),
    ],
)
def test_invalid_args_are_refused_naming_the_argument(build_dir, change, argument):
    with pytest.raises(ValueError, match=f"^{argument}:"):
        UptimeMonitorArgs(build_dir=build_dir, **change)


@pytest.mark.parametrize(
    ("change", "argument"),
    [
        ({"authorization": "COGNITO"}, "authorization"),
        ({"throttle_rate_limit": 0}, "throttle_rate_limit"),
        ({"throttle_burst_limit": 10_001}, "throttle_burst_limit"),
        ({"endpoint_type": "PRIVATE"}, "endpoint_type"),
    ],
)
def test_invalid_stage_settings_are_refused_naming_the_argument(args, change, argument):
    with pytest.raises(ValueError, match=f"^{argument}:"):
        with_stage(args, **change)


# --- the archive -----------------------------------------------------------------------------


def test_archive_holds_the_app_its_template_and_flask_but_no_tests_or_caches(args):
    monitor_ = None

    def program() -> None:
        nonlocal monitor_
        monitor_ = UptimeMonitor("monitor", args)

    run_program("dev", program=program)
    assert monitor_ is not None
    archive = monitor_.archive
    names = set(archive.names)
    assert "monitor/templates/status.html" in names
    assert {"monitor/http_handler.py", "monitor/scheduled_handler.py"} <= set(names)
    assert "flask/__init__.py" in names and "apig_wsgi/__init__.py" in names
    assert not any(name.startswith(("boto3/", "botocore/")) for name in names)
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)
    assert not any(name.startswith("tests/") or "/tests/" in name for name in names)
    assert "requirements.txt" not in names
    with zipfile.ZipFile(archive.path) as zipped:
        assert set(zipped.namelist()) == names
    assert monitor_.archive_size == archive.zipped_size == archive.path.stat().st_size
    # The notes' Zappa package was 5.1 MiB; this one must stay under 1.5 MiB.
    assert archive.zipped_size <= 1.5 * 1024 * 1024
    print(f"uptime monitor archive: {archive.zipped_size / 1024 / 1024:.2f} MiB (Zappa: 5.1 MiB)")


def test_building_twice_gives_identical_bytes(tmp_path: Path):
    from components.lambdas.packaging import build_function_archive

    first = build_function_archive(
        FUNCTION_DIR, tmp_path / "a", requirements=FUNCTION_DIR / "requirements.txt"
    )
    second = build_function_archive(
        FUNCTION_DIR, tmp_path / "b", requirements=FUNCTION_DIR / "requirements.txt"
    )
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.sha256_base64 == second.sha256_base64


# --- the program -----------------------------------------------------------------------------


def test_the_dev_program_deploys_the_monitor_and_exports_its_names(stack_plan):
    plan = stack_plan("dev")
    [component] = plan.of_type(COMPONENT)
    children = {resource.type for resource in plan.children(component.urn)}
    assert {TOPIC, TABLE, RULE, TARGET, DASHBOARD, ALARM, METHOD, FUNCTION} <= children
    sites = json.loads(
        plan.named("uptime-monitor-scheduled-function").inputs["environment"]["variables"]["SITES"]
    )
    assert sites == ["https://example.com", "https://www.wikipedia.org"]
    for key in ("monitorUrl", "alertTopicArn", "monitorTableName", "monitorDashboardName"):
        assert plan.exports[key], key
    # A phone number the dev stack file carries (encrypted) is planned with a secret stand-in.
    sms = [
        child
        for child in plan.children(component.urn)
        if child.type == SUBSCRIPTION and child.inputs["protocol"] == "sms"
    ]
    for subscription in sms:
        endpoint = json_format.MessageToDict(subscription.properties)["endpoint"]
        assert endpoint[pulumi.runtime.rpc._special_sig_key] == SECRET_SIGNATURE


def test_the_program_with_a_phone_number_never_exports_it():
    plan = run_program("dev", secrets={"alertPhoneNumber": PHONE})
    [sms] = [s for s in plan.of_type(SUBSCRIPTION) if s.inputs["protocol"] == "sms"]
    assert PHONE not in json.dumps(plan.exports)


def test_a_plain_phone_number_given_to_the_args_is_made_a_secret(args):
    plan = run_program(
        "dev", program=lambda: UptimeMonitor("monitor", replace(args, alert_phone_number=PHONE))
    )
    [sms] = plan.of_type(SUBSCRIPTION)
    endpoint = json_format.MessageToDict(sms.properties)["endpoint"]
    assert endpoint[pulumi.runtime.rpc._special_sig_key] == SECRET_SIGNATURE


def test_a_refused_site_is_named_by_its_index_and_the_reason(build_dir):
    with pytest.raises(ValueError) as refused:
        UptimeMonitorArgs(sites=("https://a.example.com", "http://10.0.0.5/"), build_dir=build_dir)

    assert str(refused.value) == (
        "sites: [1] 'http://10.0.0.5/' is refused: private address 10.0.0.5"
    )


def test_a_refused_webhook_is_never_shown(build_dir):
    with pytest.raises(ValueError) as refused:
        UptimeMonitorArgs(webhook_url="http://127.0.0.1/secret-token", build_dir=build_dir)

    assert "secret-token" not in str(refused.value)
