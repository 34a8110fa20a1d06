"""The `UptimeMonitor` component: the Flask uptime monitor of the notes (lesson 20), deployed the
way Zappa deploys it (Lambda behind API Gateway, a schedule, SNS alerts by SMS), from Pulumi.

What it builds:
- the Lambda archive: `functions/uptime_monitor` (package `monitor`, its `status.html`
  template) with its runtime dependencies (Flask, apig-wsgi and theirs, not boto3, which the
  Lambda runtime has) vendored as manylinux wheels for the function's architecture and Python,
  built deterministically by `build_function_archive`;
- a DynamoDB table (`pk`/`sk` strings, on-demand, AWS-managed key, point-in-time recovery, TTL
  on `expires_at`) for site state and check history;
- an SNS topic for alerts, encrypted with a KMS key of its own that CloudWatch alarms may use
  (`ALERT_KEY_SERVICE_USERS`), with a topic policy that lets this account's alarms in this
  Region publish, SMS (secret number) and email subscriptions when given;
- with a webhook, a Secrets Manager secret holding its URL: the scheduled function gets the
  secret's ARN (WEBHOOK_SECRET_ARN) and secretsmanager:GetSecretValue on it, never the URL;
- two functions from the same archive, each with its own log group (created first, with a
  retention) and its own role, whose one inline policy allows exactly what that function does:
  `http` (`monitor.http_handler.handler`): write its log group, dynamodb:GetItem and
  dynamodb:Query on the table; `scheduled` (`monitor.scheduled_handler.handler`): write its
  log group, dynamodb:GetItem, PutItem (conditional state writes, history) and UpdateItem
  (daily rollups) on the table, sns:Publish on the topic, kms:GenerateDataKey and kms:Decrypt
  on its key; it has a reserved concurrency of 1 and a timeout long enough for every site:
  ceil(sites / max_workers) x check timeout + a margin. No sites: no scheduled function,
  schedule, alarm or dashboard;
- a REST API for the Flask app (`/` and `{proxy+}`, ANY, aws_proxy; AWS_IAM by default), a
  throttled stage `api` and a Lambda permission for this API's stage only;
- an EventBridge rule `rate(N minutes)` targeting the scheduled function (permission for this
  rule only), a dashboard with latency and availability widgets per site (EMF metric names read
  from `monitor/metrics.py`) and an alarm on the scheduled function's errors to the topic.
"""

from __future__ import annotations

import json
from typing import Annotated

import pulumi
import pulumi_aws as aws

from components.common.outputs import Export, NotRegistered, register_declared_outputs
from components.common.owner import Owner
from components.common.shared import (
    MAX_API_TIMEOUT_SECONDS,
)
from components.common.tags import named_tags
from components.common.topics import encrypted_topic, subscription
from components.lambdas.function import (
    FunctionAlarm,
    FunctionSpec,
    check_function_name,
    lambda_function,
)
from components.lambdas.packaging import build_function_archive
from components.lambdas.rest_api import (
    proxy_rest_api,
)
from components.lambdas.zips import Archive
from components.monitor.args import (
    HTTP_MARGIN_SECONDS,
    TABLE_HASH_KEY,
    TABLE_RANGE_KEY,
    TABLE_TTL_ATTRIBUTE,
    UptimeMonitorArgs,
)
from components.monitor.parts import (
    alert_key,
    alert_topic_policy,
    dashboard_body,
    role_statements,
    schedule_expression,
    scheduled_timeout_seconds,
    site_url,
)

HTTP_HANDLER = "monitor.http_handler.handler"
SCHEDULED_HANDLER = "monitor.scheduled_handler.handler"
EVENTS_SERVICE = "events.amazonaws.com"


class UptimeMonitor(pulumi.ComponentResource):
    """The uptime monitor: status API and page, scheduled checks, history, alerts, dashboard."""

    url: Annotated[pulumi.Output[str], Export("monitorUrl")]
    topic_arn: Annotated[pulumi.Output[str], Export("alertTopicArn")]
    table_name: Annotated[pulumi.Output[str], Export("monitorTableName")]
    # The scheduled side's names are None without sites: nothing scheduled.
    dashboard_name: Annotated[pulumi.Output[str] | None, Export("monitorDashboardName")]
    http_function_name: Annotated[pulumi.Output[str], Export("monitorHttpFunctionName")]
    scheduled_function_name: Annotated[
        pulumi.Output[str] | None, Export("monitorScheduledFunctionName")
    ]
    schedule_rule_name: pulumi.Output[str] | None
    http_log_group_name: Annotated[pulumi.Output[str], Export("monitorHttpLogGroupName")]
    scheduled_log_group_name: Annotated[
        pulumi.Output[str] | None, Export("monitorScheduledLogGroupName")
    ]
    archive: NotRegistered[Archive]
    archive_size: int

    def __init__(
        self, name: str, args: UptimeMonitorArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("platform:uptime_monitor:UptimeMonitor", name, None, opts)
        stack = pulumi.get_stack()
        prefix = args.function_name_prefix or name
        function_names = {
            "http": f"{prefix}-http-{stack}",
            "scheduled": f"{prefix}-scheduled-{stack}",
        }
        for function_name in function_names.values():
            check_function_name(function_name, "function_name_prefix (with the role and stack)")
        child = pulumi.ResourceOptions(parent=self)

        archive = build_function_archive(
            args.source_dir,
            args.build_dir,
            requirements=args.requirements,
            architecture=args.architecture,
        )
        self.archive = archive
        self.archive_size = archive.zipped_size

        table = aws.dynamodb.Table(
            f"{name}-table",
            billing_mode="PAY_PER_REQUEST",
            hash_key=TABLE_HASH_KEY,
            range_key=TABLE_RANGE_KEY,
            attributes=[
                aws.dynamodb.TableAttributeArgs(name=TABLE_HASH_KEY, type="S"),
                aws.dynamodb.TableAttributeArgs(name=TABLE_RANGE_KEY, type="S"),
            ],
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=TABLE_TTL_ATTRIBUTE, enabled=True),
            tags=named_tags(args.tags, f"{name}-table"),
            opts=child,
        )
        key = alert_key(f"{name}-alert", args.tags, parent=self).key
        topic = encrypted_topic(
            f"{name}-alerts", Owner(self, args.tags), display_name="Uptime", key_id=key.arn
        )
        if args.alert_phone_number is not None:
            # Kept a secret: the engine stores it encrypted and never shows it.
            phone_number = pulumi.Output.secret(args.alert_phone_number)
            subscription(f"{name}-sms", topic, "sms", phone_number, parent=self)
        else:
            pulumi.log.warn(
                f"{name}: no alertPhoneNumber is configured, so nobody is texted when a site "
                "goes down; set one with `pulumi config set --secret alertPhoneNumber`",
                resource=self,
            )
        if args.alert_email is not None:
            subscription(f"{name}-email", topic, "email", args.alert_email, parent=self)

        self._topic_policy(name, topic)
        environment = args.environment(table.name, topic.arn, stack)
        scheduled_environment = dict(environment)
        webhook_secret_arn = None
        if args.webhook_url is not None:
            # Only the function that alerts reads the webhook, from Secrets Manager.
            webhook_secret_arn = self._webhook_secret(name, args).arn
            scheduled_environment["WEBHOOK_SECRET_ARN"] = webhook_secret_arn
        statements = role_statements(table.arn, topic.arn, key.arn, webhook_secret_arn)
        timeouts = {
            "http": min(args.timeout_seconds + HTTP_MARGIN_SECONDS, MAX_API_TIMEOUT_SECONDS),
            "scheduled": scheduled_timeout_seconds(
                len(args.sites), args.max_workers, args.timeout_seconds
            ),
        }
        handlers = {"http": HTTP_HANDLER, "scheduled": SCHEDULED_HANDLER}
        environments = {"http": environment, "scheduled": scheduled_environment}
        # No sites: no scheduled function, schedule, alarm or dashboard (/ and /ping still work).
        roles = ("http", "scheduled") if args.sites else ("http",)
        functions: dict[str, aws.lambda_.Function] = {}
        log_group_names: dict[str, pulumi.Output[str]] = {}
        for role_name in roles:
            built = lambda_function(
                f"{name}-{role_name}",
                FunctionSpec(
                    function_name=function_names[role_name],
                    handler=handlers[role_name],
                    archive=archive,
                    statements=statements[role_name],
                    memory_mb=args.memory_mb,
                    timeout_seconds=timeouts[role_name],
                    log_retention_days=args.log_retention_days,
                    environment=environments[role_name],
                    architecture=args.architecture,
                    # One scheduled run at a time normally; conditional writes keep the state
                    # right when runs still overlap (a retried invocation, a slow run).
                    reserved_concurrent_executions=1 if role_name == "scheduled" else None,
                    alarms=self._alarms(name, args, role_name, topic),
                    tags=args.tags,
                ),
                parent=self,
            )
            log_group_names[role_name] = built.log_group.name
            functions[role_name] = built.function
        http_function = functions["http"]

        stage = proxy_rest_api(
            name,
            http_function,
            args.stage,
            api_name=function_names["http"],
            description="The uptime monitor's Flask app (/ping, status page, status API)",
            tags=args.tags,
            parent=self,
        )
        self.url = stage.invoke_url
        self.topic_arn = topic.arn
        self.table_name = table.name
        self.http_function_name = http_function.name
        self.http_log_group_name = log_group_names["http"]
        self.dashboard_name = None
        self.scheduled_function_name = None
        self.schedule_rule_name = None
        self.scheduled_log_group_name = None
        if "scheduled" in functions:
            scheduled_function = functions["scheduled"]
            self.schedule_rule_name = self._schedule(name, args, scheduled_function).name
            self.dashboard_name = self._dashboard(
                name, args, stack, scheduled_function
            ).dashboard_name
            self.scheduled_function_name = scheduled_function.name
            self.scheduled_log_group_name = log_group_names["scheduled"]
        register_declared_outputs(self)

    @staticmethod
    def _alarms(
        name: str, args: UptimeMonitorArgs, role_name: str, topic: aws.sns.Topic
    ) -> tuple[FunctionAlarm, ...]:
        """The scheduled function texts the topic when a run fails: a broken monitor alerts."""
        if role_name != "scheduled":
            return ()
        errors = FunctionAlarm(
            "Errors",
            description=f"The scheduled checks of {name} failed; sites are not being monitored",
            period_seconds=max(args.schedule_minutes, 5) * 60,
            topic_arn=topic.arn,
            resource_name=f"{name}-errors-alarm",
        )
        return (errors,)

    def _topic_policy(self, name: str, topic: aws.sns.Topic) -> None:
        """CloudWatch alarms of this account and Region may publish to the alert topic."""
        invoke = pulumi.InvokeOutputOptions(parent=self)
        aws.sns.TopicPolicy(
            f"{name}-alerts-policy",
            arn=topic.arn,
            policy=pulumi.Output.all(
                topic.arn,
                aws.get_caller_identity_output(opts=invoke).account_id,
                aws.get_partition_output(opts=invoke).partition,
                aws.get_region_output(opts=invoke).region,
            ).apply(lambda v: json.dumps(alert_topic_policy(v[0], v[1], v[2], v[3]))),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _webhook_secret(self, name: str, args: UptimeMonitorArgs) -> aws.secretsmanager.Secret:
        """The webhook URL in Secrets Manager, not in the function's environment (where
        lambda:GetFunctionConfiguration shows it): the function reads it with its role."""
        secret = aws.secretsmanager.Secret(
            f"{name}-webhook",
            description=f"{name}: the incoming webhook alerts are posted to (its URL holds a token)",
            recovery_window_in_days=7,
            tags=named_tags(args.tags, f"{name}-webhook"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-webhook-value",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(args.webhook_url),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return secret

    def _schedule(
        self, name: str, args: UptimeMonitorArgs, function: aws.lambda_.Function
    ) -> aws.cloudwatch.EventRule:
        child = pulumi.ResourceOptions(parent=self)
        rule = aws.cloudwatch.EventRule(
            f"{name}-schedule",
            description=f"Runs the uptime checks of {name} every {args.schedule_minutes} min",
            schedule_expression=schedule_expression(args.schedule_minutes),
            tags=named_tags(args.tags, f"{name}-schedule"),
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-schedule-target",
            rule=rule.name,
            arn=function.arn,
            target_id="scheduled-checks",
            opts=child,
        )
        aws.lambda_.Permission(
            f"{name}-schedule-permission",
            action="lambda:InvokeFunction",
            function=function.name,
            principal=EVENTS_SERVICE,
            source_arn=rule.arn,
            opts=child,
        )
        return rule

    def _dashboard(
        self, name: str, args: UptimeMonitorArgs, stack: str, function: aws.lambda_.Function
    ) -> aws.cloudwatch.Dashboard:
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        body = pulumi.Output.all(region, function.name).apply(
            lambda values: json.dumps(
                dashboard_body([site_url(site) for site in args.sites], values[0], values[1]),
                sort_keys=True,
            )
        )
        return aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=f"{name}-{stack}",
            dashboard_body=body,
            opts=pulumi.ResourceOptions(parent=self),
        )
