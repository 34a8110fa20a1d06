"""A REST API in front of a Lambda function: the settings of its stage (`ApiStage`, validated),
the throttled stage with the permission to invoke the function from that stage only
(`ChaliceApi`), and the proxy API Zappa creates for a WSGI app (`UptimeMonitor`). Every resource
is created with `parent=<the component>`, named by the caller.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.common.shared import (
    API_AUTHORIZATIONS,
    MAX_API_THROTTLE_BURST_LIMIT,
    MAX_API_THROTTLE_RATE_LIMIT,
    ApiAuthorization,
    check_one_of,
)
from components.common.tags import named_tags

MAX_THROTTLE_RATE_LIMIT = float(MAX_API_THROTTLE_RATE_LIMIT)
MAX_THROTTLE_BURST_LIMIT = MAX_API_THROTTLE_BURST_LIMIT
API_GATEWAY_SERVICE = "apigateway.amazonaws.com"
EndpointType = Literal["EDGE", "REGIONAL"]
ENDPOINT_TYPES: tuple[EndpointType, ...] = ("EDGE", "REGIONAL")
PROXY_PATH_PART = "{proxy+}"
STAGE_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


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


@dataclass(frozen=True, kw_only=True)
class ApiStage:
    """The stage a REST API is published as: its name, the API's endpoint type, the
    authorization of its methods and the throttling of every method. Each component that
    publishes an API embeds one in its Args, with its own defaults."""

    # Steady-state requests per second and burst, for every method of the stage.
    throttle_rate_limit: float
    throttle_burst_limit: int
    # "EDGE" (behind CloudFront) or "REGIONAL".
    endpoint_type: EndpointType
    # "AWS_IAM": callers sign requests with SigV4 and need execute-api:Invoke; "NONE": public.
    authorization: ApiAuthorization = "AWS_IAM"
    stage_name: str = "api"

    def __post_init__(self) -> None:
        check_one_of("authorization", self.authorization, API_AUTHORIZATIONS)
        check_throttle_limits(self.throttle_rate_limit, self.throttle_burst_limit)
        if not STAGE_NAME_PATTERN.match(self.stage_name):
            raise ValueError(
                f"stage_name: {self.stage_name!r} may hold only letters, digits, hyphens and "
                "underscores (at most 128)"
            )
        check_one_of("endpoint_type", self.endpoint_type, ENDPOINT_TYPES)


def throttled_stage(
    prefix: str,
    rest_api: aws.apigateway.RestApi,
    deployment: aws.apigateway.Deployment,
    function: aws.lambda_.Function,
    stage: ApiStage,
    *,
    permission_resource_name: str,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    xray_tracing_enabled: bool | None = None,
) -> aws.apigateway.Stage:
    """Publish `deployment` as `stage` (`<prefix>-stage`), with metrics and its throttling for
    every method (`<prefix>-method-settings`), and let API Gateway invoke `function` from this
    API's stage only (`permission_resource_name`). Returns the stage."""
    child = pulumi.ResourceOptions(parent=parent)
    published = aws.apigateway.Stage(
        f"{prefix}-stage",
        rest_api=rest_api.id,
        deployment=deployment.id,
        stage_name=stage.stage_name,
        xray_tracing_enabled=xray_tracing_enabled,
        tags=named_tags(tags, f"{prefix}-stage"),
        opts=child,
    )
    aws.apigateway.MethodSettings(
        f"{prefix}-method-settings",
        rest_api=rest_api.id,
        stage_name=published.stage_name,
        method_path="*/*",
        settings=aws.apigateway.MethodSettingsSettingsArgs(
            metrics_enabled=True,
            throttling_rate_limit=stage.throttle_rate_limit,
            throttling_burst_limit=stage.throttle_burst_limit,
        ),
        opts=child,
    )
    aws.lambda_.Permission(
        permission_resource_name,
        action="lambda:InvokeFunction",
        function=function.name,
        principal=API_GATEWAY_SERVICE,
        # Any method and path of this API's stage; no other API or stage.
        source_arn=pulumi.Output.concat(rest_api.execution_arn, f"/{stage.stage_name}/*/*"),
        opts=child,
    )
    return published


def proxy_rest_api(
    prefix: str,
    function: aws.lambda_.Function,
    stage: ApiStage,
    *,
    api_name: str,
    description: str,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.apigateway.Stage:
    """The REST API Zappa creates for a WSGI app: `/` and `/{proxy+}`, method ANY, each an
    `aws_proxy` integration with `function` (the app routes by path); published as a throttled
    `stage`. Returns the stage."""
    child = pulumi.ResourceOptions(parent=parent)
    rest_api = aws.apigateway.RestApi(
        f"{prefix}-rest-api",
        name=api_name,
        description=description,
        endpoint_configuration=aws.apigateway.RestApiEndpointConfigurationArgs(
            types=stage.endpoint_type
        ),
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
            authorization=stage.authorization,
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
        "authorization": stage.authorization,
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
        stage,
        permission_resource_name=f"{prefix}-api-permission",
        tags=tags,
        parent=parent,
    )
