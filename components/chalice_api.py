"""The `ChaliceApi` component: a Chalice app on Lambda behind API Gateway, as `chalice deploy`
builds it, from Pulumi.

What it builds, in order:
- a CloudWatch log group `/aws/lambda/<function name>` with a retention (Lambda would otherwise
  create it on first use, without one);
- an IAM role only Lambda may assume, whose one inline policy lets it create streams and put
  events in that log group and nowhere else (not AWSLambdaBasicExecutionRole, which allows every
  group of the account);
- the Lambda function: the app packaged by `build_chalice_archive`, handler `app.<app_object>`
  (the Chalice object is the handler, as Chalice deploys it), created after its log group and
  role policy so its first logs land in the group with the retention;
- a REST API whose body is the Swagger document `chalice deploy` imports, generated from the
  app's own route table (`components.openapi`): one resource per route path, one method per
  view, each an `aws_proxy` integration to the function; adding a route to the app adds it here;
- a deployment whose trigger is the hash of that document, so a route change redeploys, and the
  stage (`api` by default, as Chalice names it) with throttling and metrics for every method;
- the permission letting API Gateway invoke the function, for this API's stage only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.config import (
    LOG_RETENTION_DAYS,
    MAX_API_THROTTLE_BURST_LIMIT,
    MAX_API_THROTTLE_RATE_LIMIT,
    MAX_API_TIMEOUT_SECONDS,
    MAX_LAMBDA_MEMORY_MB,
    MIN_LAMBDA_MEMORY_MB,
)
from components.openapi import (
    APP_MODULE,
    AUTHORIZATIONS,
    Authorization,
    body_sha256,
    chalice_swagger,
    load_chalice_app,
    render_body,
    swagger_template,
)
from components.packaging import (
    BUILD_DIR,
    LAMBDA_ARCHITECTURE_X86_64,
    LAMBDA_ARCHITECTURES,
    LAMBDA_PYTHON_RUNTIME,
    build_chalice_archive,
)

MIN_MEMORY_MB = MIN_LAMBDA_MEMORY_MB
MAX_MEMORY_MB = MAX_LAMBDA_MEMORY_MB
# API Gateway ends a REST integration after 29 seconds, so a longer function timeout is wasted.
MAX_TIMEOUT_SECONDS = MAX_API_TIMEOUT_SECONDS
MAX_FUNCTION_NAME_LENGTH = 64
FUNCTION_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
STAGE_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
ENVIRONMENT_KEY_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Lambda sets these itself and refuses a function configuration that sets them.
RESERVED_ENVIRONMENT_KEYS = frozenset(
    {
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION",
        "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ",
    }
)  # fmt: skip
MAX_THROTTLE_RATE_LIMIT = float(MAX_API_THROTTLE_RATE_LIMIT)
MAX_THROTTLE_BURST_LIMIT = MAX_API_THROTTLE_BURST_LIMIT
LAMBDA_SERVICE = "lambda.amazonaws.com"
API_GATEWAY_SERVICE = "apigateway.amazonaws.com"
EndpointType = Literal["EDGE", "REGIONAL"]
ENDPOINT_TYPES: tuple[EndpointType, ...] = ("EDGE", "REGIONAL")


@dataclass(frozen=True)
class ChaliceApiArgs:
    """Inputs of `ChaliceApi`. Secure by default: IAM-signed requests only, throttled, logs kept
    90 days, the function may only write its own logs."""

    # The Chalice project: `app.py` (and `chalicelib/`, `requirements.txt` if any).
    app_dir: Path | str
    # The Chalice object in app.py; the function's handler is `app.<app_object>`.
    app_object: str = "app"
    # Lambda function name; None = `<component name>-<stack>`. Also names the log group, the
    # role's purpose and the REST API.
    function_name: str | None = None
    memory_mb: int = 128
    # 1 to 29 seconds: API Gateway gives up on a REST integration after 29.
    timeout_seconds: int = 10
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    log_retention_days: int = 90
    # "AWS_IAM": callers sign requests with SigV4 and need execute-api:Invoke; "NONE": public.
    # Routes that declare an authorizer of their own keep it either way.
    authorization: Authorization = "AWS_IAM"
    # Steady-state requests per second and burst, for every method of the stage.
    throttle_rate_limit: float = 10.0
    throttle_burst_limit: int = 20
    stage_name: str = "api"
    # Chalice deploys edge-optimized APIs by default; REGIONAL skips CloudFront.
    endpoint_type: EndpointType = "EDGE"
    architecture: str = LAMBDA_ARCHITECTURE_X86_64
    # Where the archive is written (`<build_dir>/<app dir name>.zip`).
    build_dir: Path | str = BUILD_DIR
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (Path(self.app_dir) / f"{APP_MODULE}.py").is_file():
            raise ValueError(f"app_dir: {str(self.app_dir)!r} has no {APP_MODULE}.py")
        if not self.app_object.isidentifier():
            raise ValueError(f"app_object: {self.app_object!r} is not a Python name")
        if self.authorization not in AUTHORIZATIONS:
            raise ValueError(
                f"authorization: {self.authorization!r} must be one of {AUTHORIZATIONS}"
            )
        if not MIN_MEMORY_MB <= self.memory_mb <= MAX_MEMORY_MB:
            raise ValueError(
                f"memory_mb: {self.memory_mb!r} must be between {MIN_MEMORY_MB} and {MAX_MEMORY_MB}"
            )
        if not 1 <= self.timeout_seconds <= MAX_TIMEOUT_SECONDS:
            raise ValueError(
                f"timeout_seconds: {self.timeout_seconds!r} must be between 1 and "
                f"{MAX_TIMEOUT_SECONDS} (API Gateway's integration timeout)"
            )
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            raise ValueError(
                f"log_retention_days: {self.log_retention_days!r} is not a retention "
                "CloudWatch Logs accepts"
            )
        if not 0 < self.throttle_rate_limit <= MAX_THROTTLE_RATE_LIMIT:
            raise ValueError(
                f"throttle_rate_limit: {self.throttle_rate_limit!r} must be above 0 and at most "
                f"{MAX_THROTTLE_RATE_LIMIT:g} requests per second"
            )
        if not 1 <= self.throttle_burst_limit <= MAX_THROTTLE_BURST_LIMIT:
            raise ValueError(
                f"throttle_burst_limit: {self.throttle_burst_limit!r} must be between 1 and "
                f"{MAX_THROTTLE_BURST_LIMIT}"
            )
        if not STAGE_NAME_PATTERN.match(self.stage_name):
            raise ValueError(
                f"stage_name: {self.stage_name!r} may hold only letters, digits, hyphens and underscores (at most 128)"
            )
        if self.endpoint_type not in ENDPOINT_TYPES:
            raise ValueError(
                f"endpoint_type: {self.endpoint_type!r} must be one of {ENDPOINT_TYPES}"
            )
        if self.architecture not in LAMBDA_ARCHITECTURES:
            raise ValueError(
                f"architecture: {self.architecture!r} must be one of {LAMBDA_ARCHITECTURES}"
            )
        if self.function_name is not None:
            check_function_name(self.function_name, "function_name")
        for key in self.environment:
            if not ENVIRONMENT_KEY_PATTERN.match(key) or key in RESERVED_ENVIRONMENT_KEYS:
                raise ValueError(
                    f"environment: {key!r} is not a name Lambda lets a function set "
                    "(letters, digits, underscores; not one of Lambda's reserved names)"
                )


def check_function_name(function_name: str, argument: str) -> None:
    if len(function_name) > MAX_FUNCTION_NAME_LENGTH or not FUNCTION_NAME_PATTERN.match(
        function_name
    ):
        raise ValueError(
            f"{argument}: {function_name!r} is not a Lambda function name (1 to "
            f"{MAX_FUNCTION_NAME_LENGTH} letters, digits, hyphens or underscores)"
        )


class ChaliceApi(pulumi.ComponentResource):
    """A Chalice app as Lambda function, REST API, stage and the IAM between them."""

    url: pulumi.Output[str]
    function_name: pulumi.Output[str]
    function_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    rest_api_id: pulumi.Output[str]
    stage_name: pulumi.Output[str]
    log_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: ChaliceApiArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:chalice_api:ChaliceApi", name, None, opts)
        function_name = args.function_name or f"{name}-{pulumi.get_stack()}"
        check_function_name(function_name, "function_name (from the component name and stack)")
        child = pulumi.ResourceOptions(parent=self)

        app = load_chalice_app(args.app_dir, args.app_object)
        template = swagger_template(chalice_swagger(app, args.authorization))
        archive = build_chalice_archive(
            args.app_dir, args.build_dir, architecture=args.architecture
        )
        # Measured by the packaging tests; kept for the plan and the README.
        self.archive = archive

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{function_name}",
            retention_in_days=args.log_retention_days,
            tags=self._tags(args, f"{name}-logs"),
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-role",
            description=f"Runs the Lambda function {function_name}",
            assume_role_policy=pulumi.Output.json_dumps(lambda_trust_policy()),
            tags=self._tags(args, f"{name}-role"),
            opts=child,
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-logs-write",
            role=role.id,
            policy=pulumi.Output.json_dumps(log_writer_policy(log_group.arn)),
            opts=child,
        )
        function = aws.lambda_.Function(
            f"{name}-function",
            name=function_name,
            role=role.arn,
            runtime=aws.lambda_.Runtime(LAMBDA_PYTHON_RUNTIME),
            architectures=[args.architecture],
            handler=f"{APP_MODULE}.{args.app_object}",
            code=pulumi.FileArchive(str(archive.path)),
            source_code_hash=archive.sha256_base64,
            memory_size=args.memory_mb,
            timeout=args.timeout_seconds,
            environment=(
                aws.lambda_.FunctionEnvironmentArgs(variables=dict(args.environment))
                if args.environment
                else None
            ),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="Text", log_group=log_group.name
            ),
            tags=self._tags(args, f"{name}-function"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, role_policy]),
        )
        rest_api = aws.apigateway.RestApi(
            f"{name}-rest-api",
            name=function_name,
            description=f"The routes of the Chalice app {app.app_name}",
            body=function.invoke_arn.apply(lambda arn: render_body(template, arn)),
            endpoint_configuration=aws.apigateway.RestApiEndpointConfigurationArgs(
                types=args.endpoint_type
            ),
            put_rest_api_mode="overwrite",
            tags=self._tags(args, f"{name}-rest-api"),
            opts=child,
        )
        deployment = aws.apigateway.Deployment(
            f"{name}-deployment",
            rest_api=rest_api.id,
            description="Redeployed whenever the API document changes",
            triggers={"body_sha256": body_sha256(template)},
            opts=child,
        )
        stage = aws.apigateway.Stage(
            f"{name}-stage",
            rest_api=rest_api.id,
            deployment=deployment.id,
            stage_name=args.stage_name,
            xray_tracing_enabled=False,
            tags=self._tags(args, f"{name}-stage"),
            opts=child,
        )
        aws.apigateway.MethodSettings(
            f"{name}-method-settings",
            rest_api=rest_api.id,
            stage_name=stage.stage_name,
            method_path="*/*",
            settings=aws.apigateway.MethodSettingsSettingsArgs(
                metrics_enabled=True,
                throttling_rate_limit=args.throttle_rate_limit,
                throttling_burst_limit=args.throttle_burst_limit,
            ),
            opts=child,
        )
        aws.lambda_.Permission(
            f"{name}-invoke-permission",
            action="lambda:InvokeFunction",
            function=function.name,
            principal=API_GATEWAY_SERVICE,
            # Any method and path of this API's stage; no other API or stage.
            source_arn=pulumi.Output.concat(rest_api.execution_arn, f"/{args.stage_name}/*/*"),
            opts=child,
        )

        self.url = stage.invoke_url
        self.function_name = function.name
        self.function_arn = function.arn
        self.role_arn = role.arn
        self.rest_api_id = rest_api.id
        self.stage_name = stage.stage_name
        self.log_group_name = log_group.name
        self.register_outputs(
            {
                "url": self.url,
                "function_name": self.function_name,
                "function_arn": self.function_arn,
                "role_arn": self.role_arn,
                "rest_api_id": self.rest_api_id,
                "stage_name": self.stage_name,
                "log_group_name": self.log_group_name,
            }
        )

    @staticmethod
    def _tags(args: ChaliceApiArgs, name: str) -> dict[str, str]:
        return {**args.tags, "Name": name}


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
