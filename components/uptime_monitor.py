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
  (`ALERT_KEY_SERVICE_USERS`), SMS (secret number) and email subscriptions when given;
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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.lambda_parts import (
    ENDPOINT_TYPES,
    EndpointType,
    check_function_name,
    check_throttle_limits,
    function_logs_and_role,
    named_tags,
    proxy_rest_api,
    python_function,
)
from components.openapi import AUTHORIZATIONS, Authorization
from components.packaging import (
    BUILD_DIR,
    LAMBDA_ARCHITECTURE_X86_64,
    LAMBDA_ARCHITECTURES,
    Archive,
    build_function_archive,
)
from components.shared import (
    LOG_RETENTION_DAYS,
    MAX_API_TIMEOUT_SECONDS,
    MAX_LAMBDA_MEMORY_MB,
    MIN_LAMBDA_MEMORY_MB,
    is_email_address,
)
from components.uptime_parts import (
    FUNCTION_DIR,
    MAX_LAMBDA_TIMEOUT_SECONDS,
    METRICS_NAMESPACE,
    Site,
    alert_key,
    dashboard_body,
    module_constants,
    role_statements,
    schedule_expression,
    scheduled_timeout_needed,
    scheduled_timeout_seconds,
    site_problem,
    site_url,
    url_refusal,
)

HTTP_HANDLER = "monitor.http_handler.handler"
SCHEDULED_HANDLER = "monitor.scheduled_handler.handler"
EVENTS_SERVICE = "events.amazonaws.com"
MAX_SCHEDULE_MINUTES = 1440  # once a day
MAX_FAILURE_THRESHOLD = 10
MAX_WORKERS = 64
MAX_CERT_EXPIRY_DAYS = 365
# Time POST /ping needs besides its one check; never above API Gateway's 29 s.
HTTP_MARGIN_SECONDS = 4
TABLE_HASH_KEY = "pk"
TABLE_RANGE_KEY = "sk"
TABLE_TTL_ATTRIBUTE = "expires_at"
_MONITOR_CONFIG = module_constants(
    FUNCTION_DIR / "monitor" / "config.py",
    ("MAX_TIMEOUT_SECONDS", "MIN_HISTORY_TTL_HOURS"),
)
MAX_CHECK_TIMEOUT_SECONDS = int(_MONITOR_CONFIG["MAX_TIMEOUT_SECONDS"])
MIN_HISTORY_TTL_HOURS = int(_MONITOR_CONFIG["MIN_HISTORY_TTL_HOURS"])


@dataclass(frozen=True)
class UptimeMonitorArgs:
    """Inputs of `UptimeMonitor`. Secure by default: IAM-signed API requests only, throttled,
    logs kept 90 days, each function allowed only what it does."""

    # URLs, or {"url", "keyword", "forbidden_keyword", "expected_status"} objects, checked on
    # the schedule; none = no schedule and no scheduled function.
    sites: Sequence[Site] = ()
    # Minutes between scheduled runs (1 to 1440).
    schedule_minutes: int = 5
    failure_threshold: int = 2
    # Deadline of one check in seconds (1 to 25, so POST /ping answers within API Gateway's 29).
    timeout_seconds: int = 10
    max_workers: int = 32
    max_redirects: int = 5
    history_ttl_hours: int = 48
    # The SMS destination, E.164, as a Pulumi secret; None = no SMS subscription.
    alert_phone_number: pulumi.Input[str] | None = None
    # An email address subscribed to the alerts (AWS asks it to confirm); None = none.
    alert_email: str | None = None
    # An incoming webhook (Slack-compatible) that alerts are also posted to, as a Pulumi
    # secret (its URL holds a token); None = none. Only the scheduled function gets it.
    webhook_url: pulumi.Input[str] | None = None
    # Warn (once) when a site's TLS certificate expires within this many days; 0 = never.
    cert_expiry_days: int = 14
    # "AWS_IAM": callers sign requests with SigV4 and need execute-api:Invoke; "NONE": public.
    authorization: Authorization = "AWS_IAM"
    throttle_rate_limit: float = 5.0
    throttle_burst_limit: int = 10
    stage_name: str = "api"
    endpoint_type: EndpointType = "REGIONAL"
    log_retention_days: int = 90
    memory_mb: int = 256
    architecture: str = LAMBDA_ARCHITECTURE_X86_64
    # The function source and its runtime requirements.
    source_dir: Path | str = FUNCTION_DIR
    requirements: Path | str | None = FUNCTION_DIR / "requirements.txt"
    build_dir: Path | str = BUILD_DIR
    # Prefix of the function names; None = the component name. Names are `<prefix>-http-<stack>`
    # and `<prefix>-scheduled-<stack>`.
    function_name_prefix: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for index, site in enumerate(self.sites):
            if (reason := site_problem(site)) is not None:
                raise ValueError(f"sites: [{index}] {site!r} {reason}")
        urls = [site_url(site) for site in self.sites]
        duplicates = sorted({url for url in urls if urls.count(url) > 1})
        if duplicates:
            raise ValueError(f"sites: {duplicates!r} are listed more than once")
        if not 1 <= self.schedule_minutes <= MAX_SCHEDULE_MINUTES:
            raise ValueError(
                f"schedule_minutes: {self.schedule_minutes!r} must be between 1 and "
                f"{MAX_SCHEDULE_MINUTES}"
            )
        if not 1 <= self.failure_threshold <= MAX_FAILURE_THRESHOLD:
            raise ValueError(
                f"failure_threshold: {self.failure_threshold!r} must be between 1 and "
                f"{MAX_FAILURE_THRESHOLD}"
            )
        if not 1 <= self.timeout_seconds <= MAX_CHECK_TIMEOUT_SECONDS:
            raise ValueError(
                f"timeout_seconds: {self.timeout_seconds!r} must be between 1 and "
                f"{MAX_CHECK_TIMEOUT_SECONDS} (POST /ping must answer within API Gateway's 29 s)"
            )
        if not 1 <= self.max_workers <= MAX_WORKERS:
            raise ValueError(
                f"max_workers: {self.max_workers!r} must be between 1 and {MAX_WORKERS}"
            )
        if self.max_redirects < 0:
            raise ValueError(f"max_redirects: {self.max_redirects!r} must be 0 or more")
        if self.history_ttl_hours < MIN_HISTORY_TTL_HOURS:
            raise ValueError(
                f"history_ttl_hours: {self.history_ttl_hours!r} must be at least "
                f"{MIN_HISTORY_TTL_HOURS} (the status page shows a 24 h uptime)"
            )
        needed = scheduled_timeout_needed(len(urls), self.max_workers, self.timeout_seconds)
        if needed > MAX_LAMBDA_TIMEOUT_SECONDS:
            raise ValueError(
                f"sites: {len(urls)} sites with max_workers {self.max_workers} and "
                f"timeout_seconds {self.timeout_seconds} need {needed} s per run, more than "
                f"Lambda's {MAX_LAMBDA_TIMEOUT_SECONDS} s; raise max_workers"
            )
        if not 0 <= self.cert_expiry_days <= MAX_CERT_EXPIRY_DAYS:
            raise ValueError(
                f"cert_expiry_days: {self.cert_expiry_days!r} must be between 0 (off) and "
                f"{MAX_CERT_EXPIRY_DAYS}"
            )
        if isinstance(self.webhook_url, str) and (reason := url_refusal(self.webhook_url)):
            # The URL holds a token: named, never shown.
            raise ValueError(f"webhook_url: [secret] {reason}")
        if self.alert_email is not None and not is_email_address(self.alert_email):
            raise ValueError(f"alert_email: {self.alert_email!r} is not an email address")
        if self.authorization not in AUTHORIZATIONS:
            raise ValueError(
                f"authorization: {self.authorization!r} must be one of {AUTHORIZATIONS}"
            )
        check_throttle_limits(self.throttle_rate_limit, self.throttle_burst_limit)
        if self.endpoint_type not in ENDPOINT_TYPES:
            raise ValueError(
                f"endpoint_type: {self.endpoint_type!r} must be one of {ENDPOINT_TYPES}"
            )
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            raise ValueError(
                f"log_retention_days: {self.log_retention_days!r} is not a retention "
                "CloudWatch Logs accepts"
            )
        if not MIN_LAMBDA_MEMORY_MB <= self.memory_mb <= MAX_LAMBDA_MEMORY_MB:
            raise ValueError(
                f"memory_mb: {self.memory_mb!r} must be between {MIN_LAMBDA_MEMORY_MB} and "
                f"{MAX_LAMBDA_MEMORY_MB}"
            )
        if self.architecture not in LAMBDA_ARCHITECTURES:
            raise ValueError(
                f"architecture: {self.architecture!r} must be one of {LAMBDA_ARCHITECTURES}"
            )
        if not (Path(self.source_dir) / "monitor" / "scheduled_handler.py").is_file():
            raise ValueError(
                f"source_dir: {str(self.source_dir)!r} has no monitor/scheduled_handler.py"
            )

    def environment(
        self, table_name: pulumi.Input[str], topic_arn: pulumi.Input[str], stack: str
    ) -> dict:
        """The functions' environment variables (see monitor/config.py)."""
        return {
            "STACK_NAME": stack,
            "CERT_EXPIRY_DAYS": str(self.cert_expiry_days),
            "TABLE_NAME": table_name,
            "TOPIC_ARN": topic_arn,
            "SITES": json.dumps(
                [site if isinstance(site, str) else dict(site) for site in self.sites],
                separators=(",", ":"),
            ),
            "FAILURE_THRESHOLD": str(self.failure_threshold),
            "TIMEOUT_SECONDS": str(self.timeout_seconds),
            "MAX_WORKERS": str(self.max_workers),
            "MAX_REDIRECTS": str(self.max_redirects),
            "HISTORY_TTL_HOURS": str(self.history_ttl_hours),
            "METRICS_NAMESPACE": METRICS_NAMESPACE,
        }


class UptimeMonitor(pulumi.ComponentResource):
    """The uptime monitor: status API and page, scheduled checks, history, alerts, dashboard."""

    url: pulumi.Output[str]
    topic_arn: pulumi.Output[str]
    table_name: pulumi.Output[str]
    http_function_name: pulumi.Output[str]
    http_log_group_name: pulumi.Output[str]
    archive: Archive
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
        topic = aws.sns.Topic(
            f"{name}-alerts",
            display_name="Uptime",
            kms_master_key_id=key.arn,
            tags=named_tags(args.tags, f"{name}-alerts"),
            opts=child,
        )
        if args.alert_phone_number is not None:
            aws.sns.TopicSubscription(
                f"{name}-sms",
                topic=topic.arn,
                protocol="sms",
                # Kept a secret: the engine stores it encrypted and never shows it.
                endpoint=pulumi.Output.secret(args.alert_phone_number),
                opts=child,
            )
        else:
            pulumi.log.warn(
                f"{name}: no alertPhoneNumber is configured, so nobody is texted when a site "
                "goes down; set one with `pulumi config set --secret alertPhoneNumber`",
                resource=self,
            )
        if args.alert_email is not None:
            aws.sns.TopicSubscription(
                f"{name}-email",
                topic=topic.arn,
                protocol="email",
                endpoint=args.alert_email,
                opts=child,
            )

        environment = args.environment(table.name, topic.arn, stack)
        if args.webhook_url is not None:
            # Only the function that alerts gets the webhook, and only as a secret.
            scheduled_environment = {
                **environment,
                "WEBHOOK_URL": pulumi.Output.secret(args.webhook_url),
            }
        else:
            scheduled_environment = environment
        statements = role_statements(table.arn, topic.arn, key.arn)
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
            function_name = function_names[role_name]
            logs_and_role = function_logs_and_role(
                f"{name}-{role_name}",
                function_name,
                policy_resource_name=f"{name}-{role_name}-policy",
                log_retention_days=args.log_retention_days,
                tags=args.tags,
                parent=self,
                extra_statements=statements[role_name],
            )
            log_group_names[role_name] = logs_and_role.log_group.name
            functions[role_name] = python_function(
                f"{name}-{role_name}-function",
                function_name,
                logs_and_role,
                handler=handlers[role_name],
                archive=archive,
                architecture=args.architecture,
                memory_mb=args.memory_mb,
                timeout_seconds=timeouts[role_name],
                environment=environments[role_name],
                tags=args.tags,
                parent=self,
                # One scheduled run at a time normally; conditional writes keep the state
                # right when runs still overlap (a retried invocation, a slow run).
                reserved_concurrent_executions=1 if role_name == "scheduled" else None,
            )
        http_function = functions["http"]

        stage = proxy_rest_api(
            name,
            http_function,
            api_name=function_names["http"],
            description="The uptime monitor's Flask app (/ping, status page, status API)",
            endpoint_type=args.endpoint_type,
            authorization=args.authorization,
            stage_name=args.stage_name,
            throttle_rate_limit=args.throttle_rate_limit,
            throttle_burst_limit=args.throttle_burst_limit,
            tags=args.tags,
            parent=self,
        )
        self.url = stage.invoke_url
        self.topic_arn = topic.arn
        self.table_name = table.name
        self.http_function_name = http_function.name
        self.http_log_group_name = log_group_names["http"]
        # None without sites: nothing scheduled.
        self.dashboard_name: pulumi.Output[str] | None = None
        self.scheduled_function_name: pulumi.Output[str] | None = None
        self.schedule_rule_name: pulumi.Output[str] | None = None
        self.scheduled_log_group_name: pulumi.Output[str] | None = None
        if "scheduled" in functions:
            scheduled_function = functions["scheduled"]
            self.schedule_rule_name = self._schedule(name, args, scheduled_function).name
            self.dashboard_name = self._dashboard(
                name, args, stack, scheduled_function
            ).dashboard_name
            self._errors_alarm(name, args, scheduled_function, topic)
            self.scheduled_function_name = scheduled_function.name
            self.scheduled_log_group_name = log_group_names["scheduled"]
        self.register_outputs(
            {
                "url": self.url,
                "topic_arn": self.topic_arn,
                "table_name": self.table_name,
                "dashboard_name": self.dashboard_name,
                "http_function_name": self.http_function_name,
                "scheduled_function_name": self.scheduled_function_name,
                "schedule_rule_name": self.schedule_rule_name,
                "http_log_group_name": self.http_log_group_name,
                "scheduled_log_group_name": self.scheduled_log_group_name,
                "archive_size": self.archive_size,
            }
        )

    def _errors_alarm(
        self,
        name: str,
        args: UptimeMonitorArgs,
        function: aws.lambda_.Function,
        topic: aws.sns.Topic,
    ) -> None:
        """Texts the topic when a scheduled run fails: a broken monitor alerts too."""
        aws.cloudwatch.MetricAlarm(
            f"{name}-errors-alarm",
            alarm_description=(
                f"The scheduled checks of {name} failed; sites are not being monitored"
            ),
            namespace="AWS/Lambda",
            metric_name="Errors",
            dimensions={"FunctionName": function.name},
            statistic="Sum",
            period=max(args.schedule_minutes, 5) * 60,
            evaluation_periods=1,
            threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[topic.arn],
            ok_actions=[topic.arn],
            tags=named_tags(args.tags, f"{name}-errors-alarm"),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def exports(self) -> dict[str, pulumi.Input[str]]:
        """The stack outputs operators and runbooks use (without sites, nothing scheduled)."""
        outputs: dict[str, pulumi.Input[str] | None] = {
            "monitorUrl": self.url,
            "alertTopicArn": self.topic_arn,
            "monitorTableName": self.table_name,
            "monitorDashboardName": self.dashboard_name,
            "monitorHttpFunctionName": self.http_function_name,
            "monitorScheduledFunctionName": self.scheduled_function_name,
            "monitorHttpLogGroupName": self.http_log_group_name,
            "monitorScheduledLogGroupName": self.scheduled_log_group_name,
        }
        return {key: value for key, value in outputs.items() if value is not None}

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
