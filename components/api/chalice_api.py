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
  app's own route table (`components.api.openapi`): one resource per route path, one method per
  view, each an `aws_proxy` integration to the function; adding a route to the app adds it here;
- a deployment whose trigger is the hash of that document, so a route change redeploys, and the
  stage (`api` by default, as Chalice names it) with throttling and metrics for every method;
- the permission letting API Gateway invoke the function, for this API's stage only;
- with `custom_domain_name` (like `md5sum.example.com`, the notes' Chalice custom domain): a
  DNS-validated certificate of the stack's region, a REGIONAL custom domain with the TLS 1.2
  security policy, a base-path mapping to the stage and an alias record in the zone; the
  default execute-api endpoint is then disabled, so the API answers only on its domain.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import pulumi
import pulumi_aws as aws

from components.api.openapi import (
    APP_MODULE,
    body_sha256,
    chalice_swagger,
    load_chalice_app,
    render_body,
    swagger_template,
)
from components.common import certificates
from components.common.outputs import Export, register_declared_outputs
from components.common.shared import (
    MAX_API_TIMEOUT_SECONDS,
    MAX_LAMBDA_MEMORY_MB,
    MIN_LAMBDA_MEMORY_MB,
    check_between,
    check_log_retention_days,
    check_one_of,
)
from components.common.tags import named_tags
from components.lambdas.function import FunctionSpec, check_function_name, lambda_function
from components.lambdas.packaging import (
    BUILD_DIR,
    LAMBDA_ARCHITECTURE_X86_64,
    LAMBDA_ARCHITECTURES,
    build_chalice_archive,
)
from components.lambdas.rest_api import ApiStage, throttled_stage

MIN_MEMORY_MB = MIN_LAMBDA_MEMORY_MB
MAX_MEMORY_MB = MAX_LAMBDA_MEMORY_MB
# API Gateway ends a REST integration after 29 seconds, so a longer function timeout is wasted.
MAX_TIMEOUT_SECONDS = MAX_API_TIMEOUT_SECONDS
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
    # The stage (`api`, as Chalice names it), IAM-signed requests only, throttled at 10
    # requests per second with bursts of 20, edge-optimized as Chalice deploys by default
    # (REGIONAL skips CloudFront). The authorization applies to every route that does not
    # declare an authorizer of its own.
    stage: ApiStage = field(
        default_factory=lambda: ApiStage(
            throttle_rate_limit=10.0, throttle_burst_limit=20, endpoint_type="EDGE"
        )
    )
    architecture: str = LAMBDA_ARCHITECTURE_X86_64
    # Where the archive is written (`<build_dir>/<app dir name>.zip`).
    build_dir: Path | str = BUILD_DIR
    # A custom domain for the API, in the Route 53 zone `hosted_zone_id` (None: the public zone
    # of its parent domain, looked up by name). Needs endpoint_type REGIONAL.
    custom_domain_name: str | None = None
    hosted_zone_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (Path(self.app_dir) / f"{APP_MODULE}.py").is_file():
            raise ValueError(f"app_dir: {str(self.app_dir)!r} has no {APP_MODULE}.py")
        if not self.app_object.isidentifier():
            raise ValueError(f"app_object: {self.app_object!r} is not a Python name")
        check_between("memory_mb", self.memory_mb, MIN_MEMORY_MB, MAX_MEMORY_MB)
        check_between(
            "timeout_seconds",
            self.timeout_seconds,
            1,
            MAX_TIMEOUT_SECONDS,
            why="API Gateway's integration timeout",
        )
        check_log_retention_days(self.log_retention_days)
        check_one_of("architecture", self.architecture, LAMBDA_ARCHITECTURES)
        if self.function_name is not None:
            check_function_name(self.function_name, "function_name")
        if self.custom_domain_name is not None:
            if (reason := certificates.check_domain(self.custom_domain_name)) is not None:
                raise ValueError(f"custom_domain_name: {self.custom_domain_name!r} {reason}")
            if self.stage.endpoint_type != "REGIONAL":
                raise ValueError(
                    f"endpoint_type: {self.stage.endpoint_type!r}; a REGIONAL custom domain needs "
                    "a REGIONAL API"
                )
        elif self.hosted_zone_id is not None:
            raise ValueError(f"hosted_zone_id: {self.hosted_zone_id!r} needs custom_domain_name")
        for key in self.environment:
            if not ENVIRONMENT_KEY_PATTERN.match(key) or key in RESERVED_ENVIRONMENT_KEYS:
                raise ValueError(
                    f"environment: {key!r} is not a name Lambda lets a function set "
                    "(letters, digits, underscores; not one of Lambda's reserved names)"
                )


class ChaliceApi(pulumi.ComponentResource):
    """A Chalice app as Lambda function, REST API, stage and the IAM between them."""

    url: Annotated[pulumi.Output[str], Export("Url")]
    function_name: Annotated[pulumi.Output[str], Export("FunctionName")]
    function_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    rest_api_id: pulumi.Output[str]
    stage_name: pulumi.Output[str]
    log_group_name: Annotated[pulumi.Output[str], Export("LogGroupName")]

    def __init__(self, name: str, args: ChaliceApiArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:chalice_api:ChaliceApi", name, None, opts)
        function_name = args.function_name or f"{name}-{pulumi.get_stack()}"
        check_function_name(function_name, "function_name (from the component name and stack)")
        child = pulumi.ResourceOptions(parent=self)

        app = load_chalice_app(args.app_dir, args.app_object)
        template = swagger_template(chalice_swagger(app, args.stage.authorization))
        archive = build_chalice_archive(
            args.app_dir, args.build_dir, architecture=args.architecture
        )
        # Measured by the packaging tests; kept for the plan and docs/api.md.
        self.archive = archive

        built = lambda_function(
            name,
            FunctionSpec(
                function_name=function_name,
                handler=f"{APP_MODULE}.{args.app_object}",
                archive=archive,
                memory_mb=args.memory_mb,
                timeout_seconds=args.timeout_seconds,
                log_retention_days=args.log_retention_days,
                environment=args.environment,
                architecture=args.architecture,
                policy_resource_name=f"{name}-logs-write",
                tags=args.tags,
            ),
            parent=self,
        )
        function = built.function
        rest_api = aws.apigateway.RestApi(
            f"{name}-rest-api",
            name=function_name,
            description=f"The routes of the Chalice app {app.app_name}",
            body=function.invoke_arn.apply(lambda arn: render_body(template, arn)),
            endpoint_configuration=aws.apigateway.RestApiEndpointConfigurationArgs(
                types=args.stage.endpoint_type
            ),
            put_rest_api_mode="overwrite",
            # With a custom domain, clients use it and nothing else.
            disable_execute_api_endpoint=args.custom_domain_name is not None,
            tags=named_tags(args.tags, f"{name}-rest-api"),
            opts=child,
        )
        deployment = aws.apigateway.Deployment(
            f"{name}-deployment",
            rest_api=rest_api.id,
            description="Redeployed whenever the API document changes",
            triggers={"body_sha256": body_sha256(template)},
            opts=child,
        )
        stage = throttled_stage(
            name,
            rest_api,
            deployment,
            function,
            args.stage,
            permission_resource_name=f"{name}-invoke-permission",
            tags=args.tags,
            parent=self,
            xray_tracing_enabled=False,
        )

        self.url = stage.invoke_url
        self.stage_arn = stage.arn
        if args.custom_domain_name is not None:
            self.url = self._custom_domain(name, args, rest_api, stage)
        self.function_name = function.name
        self.function_arn = function.arn
        self.role_arn = built.role.arn
        self.rest_api_id = rest_api.id
        self.stage_name = stage.stage_name
        self.log_group_name = built.log_group.name
        register_declared_outputs(self)

    def _custom_domain(
        self,
        name: str,
        args: ChaliceApiArgs,
        rest_api: aws.apigateway.RestApi,
        stage: aws.apigateway.Stage,
    ) -> pulumi.Output[str]:
        """Certificate, REGIONAL domain (TLS 1.2), base-path mapping and alias record."""
        domain = args.custom_domain_name or ""
        zone = certificates.zone_id(domain.split(".", 1)[1], args.hosted_zone_id, self)
        child = pulumi.ResourceOptions(parent=self)
        custom_domain = aws.apigateway.DomainName(
            f"{name}-domain",
            domain_name=domain,
            regional_certificate_arn=certificates.validated_certificate(
                f"{name}-certificate", domain, zone, self
            ),
            endpoint_configuration={"types": "REGIONAL"},
            security_policy="TLS_1_2",
            tags=named_tags(args.tags, f"{name}-domain"),
            opts=child,
        )
        aws.apigateway.BasePathMapping(
            f"{name}-base-path",
            domain_name=custom_domain.domain_name,
            rest_api=rest_api.id,
            stage_name=stage.stage_name,
            opts=child,
        )
        aws.route53.Record(
            f"{name}-alias",
            zone_id=zone,
            name=domain,
            type="A",
            aliases=[
                {
                    "name": custom_domain.regional_domain_name,
                    "zone_id": custom_domain.regional_zone_id,
                    "evaluate_target_health": False,
                }
            ],
            opts=child,
        )
        return pulumi.Output.from_input(f"https://{domain}")
