"""The Lambda building block every Lambda-backed component uses (md5 API, both monitor
functions, the queue consumers, the upload processor).

`lambda_function(prefix, spec, parent)` creates, each named `<prefix>-<role>` and parented to the
calling component (so the component keeps its resource names and URNs):

- `<prefix>-logs`: the log group `/aws/lambda/<function name>`, with the stack's retention;
- `<prefix>-role`: a role only Lambda may assume, and its one inline policy (`<prefix>-policy`
  unless the spec names it): write that log group and nowhere else, then exactly the
  statements of the spec;
- `<prefix>-function`: the function, on the project's Python runtime, created after its log
  group and role policy so its first logs land in the group with the retention;
- `<prefix>-alias` with a published version, when the spec asks for one (what event sources
  invoke: a fixed version, never `$LATEST`);
- `<prefix>-<metric>-alarm` for each alarm of the spec (`Errors`, `Throttles`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.common.alarms import Metric, threshold_alarm
from components.common.iam import service_role
from components.common.logs import retained_log_group
from components.common.owner import Owner
from components.lambdas.packaging import LAMBDA_ARCHITECTURE_X86_64, LAMBDA_PYTHON_RUNTIME
from components.lambdas.zips import Archive

MAX_FUNCTION_NAME_LENGTH = 64
FUNCTION_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
LAMBDA_SERVICE = "lambda.amazonaws.com"
AlarmMetric = Literal["Errors", "Throttles"]


def check_function_name(function_name: str, argument: str) -> None:
    """Raise `ValueError` naming `argument` unless `function_name` is a Lambda function name."""
    if len(function_name) > MAX_FUNCTION_NAME_LENGTH or not FUNCTION_NAME_PATTERN.match(
        function_name
    ):
        raise ValueError(
            f"{argument}: {function_name!r} is not a Lambda function name (1 to "
            f"{MAX_FUNCTION_NAME_LENGTH} letters, digits, hyphens or underscores)"
        )


def log_writer_policy(log_group_arn: pulumi.Input[str]) -> dict:
    """Create streams and put events in one log group (its ARN, and its streams `<arn>:*`)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteOwnLogGroupOnly",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [log_group_arn, pulumi.Output.concat(log_group_arn, ":*")],
            }
        ],
    }


@dataclass(frozen=True)
class FunctionAlias:
    """Publish a version on every code change and point this alias at it."""

    name: str
    description: str


@dataclass(frozen=True)
class FunctionAlarm:
    """An alarm when the function reports `metric` at least once in a period (no data is
    fine), notifying `topic_arn` on alarm and on recovery when given."""

    metric: AlarmMetric
    description: str
    period_seconds: int = 300
    topic_arn: pulumi.Input[str] | None = None
    # The alarm's resource name when not `<prefix>-<metric>-alarm` (kept from earlier releases).
    resource_name: str | None = None


@dataclass(frozen=True)
class FunctionSpec:
    """What one function is: its code, its permissions and how it is watched."""

    function_name: str
    handler: str
    archive: Archive
    # The role's statements besides writing its own log group: exactly what the code does.
    statements: Sequence[Mapping[str, object]] = ()
    memory_mb: int = 128
    timeout_seconds: int = 3
    log_retention_days: int = 90
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    architecture: str = LAMBDA_ARCHITECTURE_X86_64
    reserved_concurrent_executions: int | None = None
    alias: FunctionAlias | None = None
    alarms: Sequence[FunctionAlarm] = ()
    # The inline policy's resource name when not `<prefix>-policy` (kept from earlier releases).
    policy_resource_name: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_function_name(self.function_name, "function_name")
        metrics = [alarm.metric for alarm in self.alarms]
        if len(set(metrics)) != len(metrics):
            raise ValueError(f"alarms: {metrics!r} has a metric twice")


@dataclass(frozen=True)
class LambdaFunction:
    """The resources `lambda_function` created."""

    function: aws.lambda_.Function
    role: aws.iam.Role
    role_policy: aws.iam.RolePolicy
    log_group: aws.cloudwatch.LogGroup
    alias: aws.lambda_.Alias | None
    alarms: tuple[aws.cloudwatch.MetricAlarm, ...]


def lambda_function(prefix: str, spec: FunctionSpec, parent: pulumi.Resource) -> LambdaFunction:
    """The function of `spec` with its log group, role, alias and alarms (module docstring)."""
    owner = Owner(parent, spec.tags)
    log_group = retained_log_group(
        f"{prefix}-logs",
        owner,
        name=f"/aws/lambda/{spec.function_name}",
        retention_days=spec.log_retention_days,
    )
    role = service_role(
        f"{prefix}-role",
        owner,
        LAMBDA_SERVICE,
        description=f"Runs the Lambda function {spec.function_name}",
    )
    logs = log_writer_policy(log_group.arn)
    role_policy = aws.iam.RolePolicy(
        spec.policy_resource_name or f"{prefix}-policy",
        role=role.id,
        policy=pulumi.Output.json_dumps(
            {**logs, "Statement": [*logs["Statement"], *spec.statements]}
        ),
        opts=owner.opts,
    )
    function = aws.lambda_.Function(
        f"{prefix}-function",
        name=spec.function_name,
        role=role.arn,
        runtime=aws.lambda_.Runtime(LAMBDA_PYTHON_RUNTIME),
        architectures=[spec.architecture],
        handler=spec.handler,
        code=pulumi.FileArchive(str(spec.archive.path)),
        source_code_hash=spec.archive.sha256_base64,
        memory_size=spec.memory_mb,
        timeout=spec.timeout_seconds,
        reserved_concurrent_executions=spec.reserved_concurrent_executions,
        publish=spec.alias is not None,
        environment=(
            aws.lambda_.FunctionEnvironmentArgs(variables=dict(spec.environment))
            if spec.environment
            else None
        ),
        logging_config=aws.lambda_.FunctionLoggingConfigArgs(
            log_format="Text", log_group=log_group.name
        ),
        tags=owner.tags_for(f"{prefix}-function"),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[log_group, role_policy]),
    )
    alias = None
    if spec.alias is not None:
        alias = aws.lambda_.Alias(
            f"{prefix}-alias",
            name=spec.alias.name,
            description=spec.alias.description,
            function_name=function.name,
            function_version=function.version,
            opts=owner.opts,
        )
    alarms = tuple(
        threshold_alarm(
            alarm.resource_name or f"{prefix}-{alarm.metric.lower()}-alarm",
            owner,
            Metric("AWS/Lambda", alarm.metric, {"FunctionName": function.name}, statistic="Sum"),
            threshold=1,
            description=alarm.description,
            period_seconds=alarm.period_seconds,
            topic_arn=alarm.topic_arn,
        )
        for alarm in spec.alarms
    )
    return LambdaFunction(
        function=function,
        role=role,
        role_policy=role_policy,
        log_group=log_group,
        alias=alias,
        alarms=alarms,
    )
