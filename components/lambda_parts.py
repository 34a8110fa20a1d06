"""Parts shared by the components that run Python on Lambda behind API Gateway (`ChaliceApi`,
`UptimeMonitor`): function names, the role's trust and log-writer policies, a function's log
group, role and role policy, the function itself, and a REST API's throttled stage with the
permission to invoke the function from that stage only.

Every resource is created with `parent=<the component>` and named by the caller, so a component
keeps its own resource names; tags get `Name` = the resource's name, as everywhere else.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.packaging import LAMBDA_ARCHITECTURE_X86_64, LAMBDA_PYTHON_RUNTIME, Archive
from components.shared import MAX_API_THROTTLE_BURST_LIMIT, MAX_API_THROTTLE_RATE_LIMIT

MAX_FUNCTION_NAME_LENGTH = 64
FUNCTION_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
MAX_THROTTLE_RATE_LIMIT = float(MAX_API_THROTTLE_RATE_LIMIT)
MAX_THROTTLE_BURST_LIMIT = MAX_API_THROTTLE_BURST_LIMIT
LAMBDA_SERVICE = "lambda.amazonaws.com"
API_GATEWAY_SERVICE = "apigateway.amazonaws.com"
EndpointType = Literal["EDGE", "REGIONAL"]
ENDPOINT_TYPES: tuple[EndpointType, ...] = ("EDGE", "REGIONAL")
PROXY_PATH_PART = "{proxy+}"


def check_function_name(function_name: str, argument: str) -> None:
    """Raise `ValueError` naming `argument` unless `function_name` is a Lambda function name."""
    if len(function_name) > MAX_FUNCTION_NAME_LENGTH or not FUNCTION_NAME_PATTERN.match(
        function_name
    ):
        raise ValueError(
            f"{argument}: {function_name!r} is not a Lambda function name (1 to "
            f"{MAX_FUNCTION_NAME_LENGTH} letters, digits, hyphens or underscores)"
        )


def check_throttle_limits(rate_limit: float, burst_limit: int) -> None:
    """Raise `ValueError` unless a stage's throttling is within what API Gateway allows."""
    if not 0 < rate_limit <= MAX_THROTTLE_RATE_LIMIT:
        raise ValueError(
            f"throttle_rate_limit: {rate_limit!r} must be above 0 and at most "
            f"{MAX_THROTTLE_RATE_LIMIT:g} requests per second"
        )
    if not 1 <= burst_limit <= MAX_THROTTLE_BURST_LIMIT:
        raise ValueError(
            f"throttle_burst_limit: {burst_limit!r} must be between 1 and "
            f"{MAX_THROTTLE_BURST_LIMIT}"
        )


def lambda_trust_policy() -> dict:
    """Only the Lambda service may assume the function's role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": LAMBDA_SERVICE},
                "Action": "sts:AssumeRole",
            }
        ],
    }


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


def named_tags(tags: Mapping[str, str], resource_name: str) -> dict[str, str]:
    return {**tags, "Name": resource_name}


@dataclass(frozen=True)
class FunctionLogsAndRole:
    """What a function needs before it is created: its log group, and its role with the one
    inline policy (write that log group, plus the function's own statements)."""

    log_group: aws.cloudwatch.LogGroup
    role: aws.iam.Role
    role_policy: aws.iam.RolePolicy


def function_logs_and_role(
    prefix: str,
    function_name: str,
    *,
    policy_resource_name: str,
    log_retention_days: int,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    extra_statements: Sequence[Mapping[str, object]] = (),
) -> FunctionLogsAndRole:
    """The log group `/aws/lambda/<function_name>` (`<prefix>-logs`, with a retention), a role
    only Lambda may assume (`<prefix>-role`) and its inline policy (`policy_resource_name`):
    write that log group and nowhere else, then `extra_statements`."""
    child = pulumi.ResourceOptions(parent=parent)
    log_group = aws.cloudwatch.LogGroup(
        f"{prefix}-logs",
        name=f"/aws/lambda/{function_name}",
        retention_in_days=log_retention_days,
        tags=named_tags(tags, f"{prefix}-logs"),
        opts=child,
    )
    role = aws.iam.Role(
        f"{prefix}-role",
        description=f"Runs the Lambda function {function_name}",
        assume_role_policy=pulumi.Output.json_dumps(lambda_trust_policy()),
        tags=named_tags(tags, f"{prefix}-role"),
        opts=child,
    )
    logs = log_writer_policy(log_group.arn)
    role_policy = aws.iam.RolePolicy(
        policy_resource_name,
        role=role.id,
        policy=pulumi.Output.json_dumps(
            {**logs, "Statement": [*logs["Statement"], *extra_statements]}
        ),
        opts=child,
    )
    return FunctionLogsAndRole(log_group=log_group, role=role, role_policy=role_policy)


def python_function(
    resource_name: str,
    function_name: str,
    logs_and_role: FunctionLogsAndRole,
    *,
    handler: str,
    archive: Archive,
    architecture: str,
    memory_mb: int,
    timeout_seconds: int,
    environment: Mapping[str, pulumi.Input[str]],
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    reserved_concurrent_executions: int | None = None,
    publish: bool = False,
) -> aws.lambda_.Function:
    """The Lambda function, running `archive` on the project's Python runtime as the role of
    `logs_and_role`, logging to its log group; created after the log group and the role policy
    so its first logs land in the group with the retention."""
    return aws.lambda_.Function(
        resource_name,
        name=function_name,
        role=logs_and_role.role.arn,
        runtime=aws.lambda_.Runtime(LAMBDA_PYTHON_RUNTIME),
        architectures=[architecture],
        handler=handler,
        code=pulumi.FileArchive(str(archive.path)),
        source_code_hash=archive.sha256_base64,
        memory_size=memory_mb,
        timeout=timeout_seconds,
        reserved_concurrent_executions=reserved_concurrent_executions,
        publish=publish,
        environment=(
            aws.lambda_.FunctionEnvironmentArgs(variables=dict(environment))
            if environment
            else None
        ),
        logging_config=aws.lambda_.FunctionLoggingConfigArgs(
            log_format="Text", log_group=logs_and_role.log_group.name
        ),
        tags=named_tags(tags, resource_name),
        opts=pulumi.ResourceOptions(
            parent=parent, depends_on=[logs_and_role.log_group, logs_and_role.role_policy]
        ),
    )


def logged_function(
    prefix: str,
    function_name: str,
    *,
    handler: str,
    archive: Archive,
    statements: Sequence[Mapping[str, object]],
    memory_mb: int,
    timeout_seconds: int,
    log_retention_days: int,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    publish: bool = False,
) -> aws.lambda_.Function:
    """A function without environment on x86_64 (`<prefix>-function`), with its log group and
    role (`function_logs_and_role`, policy `<prefix>-policy`) allowed `statements`."""
    logs_and_role = function_logs_and_role(
        prefix,
        function_name,
        policy_resource_name=f"{prefix}-policy",
        log_retention_days=log_retention_days,
        tags=tags,
        parent=parent,
        extra_statements=statements,
    )
    return python_function(
        f"{prefix}-function",
        function_name,
        logs_and_role,
        handler=handler,
        archive=archive,
        architecture=LAMBDA_ARCHITECTURE_X86_64,
        memory_mb=memory_mb,
        timeout_seconds=timeout_seconds,
        environment={},
        tags=tags,
        parent=parent,
        publish=publish,
    )


def throttled_stage(
    prefix: str,
    rest_api: aws.apigateway.RestApi,
    deployment: aws.apigateway.Deployment,
    function: aws.lambda_.Function,
    *,
    stage_name: str,
    throttle_rate_limit: float,
    throttle_burst_limit: int,
    permission_resource_name: str,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    xray_tracing_enabled: bool | None = None,
) -> aws.apigateway.Stage:
    """Publish `deployment` as the stage `stage_name` (`<prefix>-stage`), with metrics and
    throttling for every method (`<prefix>-method-settings`), and let API Gateway invoke
    `function` from this API's stage only (`permission_resource_name`). Returns the stage."""
    child = pulumi.ResourceOptions(parent=parent)
    stage = aws.apigateway.Stage(
        f"{prefix}-stage",
        rest_api=rest_api.id,
        deployment=deployment.id,
        stage_name=stage_name,
        xray_tracing_enabled=xray_tracing_enabled,
        tags=named_tags(tags, f"{prefix}-stage"),
        opts=child,
    )
    aws.apigateway.MethodSettings(
        f"{prefix}-method-settings",
        rest_api=rest_api.id,
        stage_name=stage.stage_name,
        method_path="*/*",
        settings=aws.apigateway.MethodSettingsSettingsArgs(
            metrics_enabled=True,
            throttling_rate_limit=throttle_rate_limit,
            throttling_burst_limit=throttle_burst_limit,
        ),
        opts=child,
    )
    aws.lambda_.Permission(
        permission_resource_name,
        action="lambda:InvokeFunction",
        function=function.name,
        principal=API_GATEWAY_SERVICE,
        # Any method and path of this API's stage; no other API or stage.
        source_arn=pulumi.Output.concat(rest_api.execution_arn, f"/{stage_name}/*/*"),
        opts=child,
    )
    return stage


def proxy_rest_api(
    prefix: str,
    function: aws.lambda_.Function,
    *,
    api_name: str,
    description: str,
    endpoint_type: EndpointType,
    authorization: str,
    stage_name: str,
    throttle_rate_limit: float,
    throttle_burst_limit: int,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.apigateway.Stage:
    """The REST API Zappa creates for a WSGI app: `/` and `/{proxy+}`, method ANY, each an
    `aws_proxy` integration with `function` (the app routes by path); published as a throttled
    stage. Returns the stage."""
    child = pulumi.ResourceOptions(parent=parent)
    rest_api = aws.apigateway.RestApi(
        f"{prefix}-rest-api",
        name=api_name,
        description=description,
        endpoint_configuration=aws.apigateway.RestApiEndpointConfigurationArgs(types=endpoint_type),
        tags=named_tags(tags, f"{prefix}-rest-api"),
        opts=child,
    )
    proxy = aws.apigateway.Resource(
        f"{prefix}-proxy-resource",
        rest_api=rest_api.id,
        parent_id=rest_api.root_resource_id,
        path_part=PROXY_PATH_PART,
        opts=child,
    )
    routes: list[pulumi.Resource] = []
    for route, resource_id in (("root", rest_api.root_resource_id), ("proxy", proxy.id)):
        method = aws.apigateway.Method(
            f"{prefix}-{route}-method",
            rest_api=rest_api.id,
            resource_id=resource_id,
            http_method="ANY",
            authorization=authorization,
            opts=child,
        )
        integration = aws.apigateway.Integration(
            f"{prefix}-{route}-integration",
            rest_api=rest_api.id,
            resource_id=resource_id,
            http_method=method.http_method,
            type="AWS_PROXY",
            integration_http_method="POST",
            uri=function.invoke_arn,
            opts=child,
        )
        routes += [method, integration]
    layout = {
        "paths": ["/", f"/{PROXY_PATH_PART}"],
        "method": "ANY",
        "authorization": authorization,
        "integration": "AWS_PROXY",
    }
    deployment = aws.apigateway.Deployment(
        f"{prefix}-deployment",
        rest_api=rest_api.id,
        description="Redeployed whenever the API's methods change",
        triggers={
            "layout_sha256": hashlib.sha256(json.dumps(layout, sort_keys=True).encode()).hexdigest()
        },
        opts=pulumi.ResourceOptions(parent=parent, depends_on=routes),
    )
    return throttled_stage(
        prefix,
        rest_api,
        deployment,
        function,
        stage_name=stage_name,
        throttle_rate_limit=throttle_rate_limit,
        throttle_burst_limit=throttle_burst_limit,
        permission_resource_name=f"{prefix}-api-permission",
        tags=tags,
        parent=parent,
    )
