"""The ChaliceApi component under mocks: the REST API mirrors the app's routes, IAM is scoped."""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.api.chalice_api import ChaliceApi, ChaliceApiArgs
from components.api.openapi import INVOKE_ARN_PLACEHOLDER, load_chalice_app
from tools.offline import Plan, PlannedResource, ProgramFailed, run_program

PROJECT_DIR = Path(__file__).resolve().parents[2]
MD5_APP_DIR = PROJECT_DIR / "functions" / "md5_api"
COMPONENT = "platform:chalice_api:ChaliceApi"
FUNCTION = "aws:lambda/function:Function"
REST_API = "aws:apigateway/restApi:RestApi"
DEPLOYMENT = "aws:apigateway/deployment:Deployment"
STAGE = "aws:apigateway/stage:Stage"
METHOD_SETTINGS = "aws:apigateway/methodSettings:MethodSettings"
PERMISSION = "aws:lambda/permission:Permission"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
# How the engine marks a secret value (pulumi.runtime.rpc._special_sig_key's secret signature).
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"

TINY_APP = """
from chalice import Chalice

app = Chalice(app_name="tiny")


@app.route("/")
def index():
    return {"hello": "world"}
"""

EXTRA_ROUTE = """

@app.route("/items/{item_id}", methods=["GET", "PUT"])
def item(item_id):
    return {"id": item_id}
"""


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("build")


@pytest.fixture(scope="module")
def md5_args(build_dir: Path) -> ChaliceApiArgs:
    return ChaliceApiArgs(app_dir=MD5_APP_DIR, build_dir=build_dir)


@pytest.fixture(scope="module")
def md5_plan(md5_args: ChaliceApiArgs) -> Plan:
    return plan_api(md5_args)


def with_stage(args: ChaliceApiArgs, **changes: Any) -> ChaliceApiArgs:
    """`args` with these settings of its stage changed."""
    return replace(args, stage=replace(args.stage, **changes))


def plan_api(args: ChaliceApiArgs, *, preview: bool = False, stack: str = "dev") -> Plan:
    return run_program(stack, preview=preview, program=lambda: ChaliceApi("md5-api", args))


def one(plan: Plan, resource_type: str) -> PlannedResource:
    [resource] = plan.of_type(resource_type)
    return resource


def api_body(plan: Plan) -> dict[str, Any]:
    return json.loads(plan.named("md5-api-rest-api").inputs["body"])


def routes_of(body: dict[str, Any]) -> dict[str, set[str]]:
    return {path: set(methods) for path, methods in body["paths"].items()}


def write_app(directory: Path, source: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "app.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return directory


# --- the REST API mirrors the app's route table ---------------------------------------------


def test_one_api_path_and_method_per_app_route(md5_plan: Plan):
    app = load_chalice_app(MD5_APP_DIR)
    expected = {path: {method.lower() for method in views} for path, views in app.routes.items()}
    assert expected == {"/": {"get"}, "/md5/{string_to_hash}": {"get"}, "/md5": {"post"}}
    assert routes_of(api_body(md5_plan)) == expected


def test_every_method_is_an_aws_proxy_integration_to_this_function(md5_plan: Plan):
    invoke_arn = one(md5_plan, FUNCTION).outputs["invoke_arn"]
    assert invoke_arn.startswith("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/")
    assert invoke_arn.endswith(":function:md5-api-dev/invocations")
    body = api_body(md5_plan)
    for methods in body["paths"].values():
        for operation in methods.values():
            integration = operation["x-amazon-apigateway-integration"]
            assert integration["type"] == "aws_proxy"
            assert integration["httpMethod"] == "POST"
            assert integration["uri"] == invoke_arn
    assert INVOKE_ARN_PLACEHOLDER not in one(md5_plan, REST_API).inputs["body"]


def test_path_parameters_are_declared_as_chalice_declares_them(md5_plan: Plan):
    operation = api_body(md5_plan)["paths"]["/md5/{string_to_hash}"]["get"]
    assert operation["parameters"] == [
        {"name": "string_to_hash", "in": "path", "required": True, "type": "string"}
    ]


def test_a_route_added_to_the_app_appears_in_the_api_and_redeploys_the_stage(
    tmp_path: Path, build_dir: Path
):
    app_dir = write_app(tmp_path / "tiny_app", TINY_APP)
    args = with_stage(ChaliceApiArgs(app_dir=app_dir, build_dir=build_dir), authorization="NONE")
    before = plan_api(args)
    assert routes_of(api_body(before)) == {"/": {"get"}}

    write_app(app_dir, TINY_APP + EXTRA_ROUTE)
    after = plan_api(args)

    assert routes_of(api_body(after)) == {"/": {"get"}, "/items/{item_id}": {"get", "put"}}
    put = api_body(after)["paths"]["/items/{item_id}"]["put"]
    assert put["x-amazon-apigateway-integration"]["type"] == "aws_proxy"
    trigger_before = one(before, DEPLOYMENT).inputs["triggers"]
    trigger_after = one(after, DEPLOYMENT).inputs["triggers"]
    assert trigger_before != trigger_after
    # The code changed too, so Lambda gets the new archive.
    assert (
        one(before, FUNCTION).inputs["sourceCodeHash"]
        != one(after, FUNCTION).inputs["sourceCodeHash"]
    )


def test_the_same_routes_keep_the_same_deployment_trigger(md5_args: ChaliceApiArgs, md5_plan):
    again = plan_api(md5_args)
    assert one(again, DEPLOYMENT).inputs["triggers"] == one(md5_plan, DEPLOYMENT).inputs["triggers"]


def test_the_deployment_trigger_is_known_at_preview(md5_args: ChaliceApiArgs, md5_plan: Plan):
    preview = plan_api(md5_args, preview=True)
    assert (
        one(preview, DEPLOYMENT).inputs["triggers"] == one(md5_plan, DEPLOYMENT).inputs["triggers"]
    )
    # Names are computed from the component name and stack, never from outputs.
    assert one(preview, FUNCTION).inputs["name"] == "md5-api-dev"
    assert one(preview, LOG_GROUP).inputs["name"] == "/aws/lambda/md5-api-dev"


def test_loading_an_app_leaves_already_imported_app_modules_alone(tmp_path: Path):
    import app as md5_app  # the md5 app, on the test path like Lambda's archive root
    import chalicelib

    other = write_app(
        tmp_path / "other", TINY_APP.replace("chalice import Chalice", "chalicelib import Chalice")
    )
    (other / "chalicelib").mkdir()
    (other / "chalicelib" / "__init__.py").write_text("from chalice import Chalice\n")
    loaded = load_chalice_app(other)
    assert loaded.app_name == "tiny"
    assert sys.modules["app"] is md5_app
    assert sys.modules["chalicelib"] is chalicelib
    assert str(other) not in sys.path


# --- the function ----------------------------------------------------------------------------


def test_function_runs_the_chalice_app_object_from_the_packaged_archive(
    md5_plan: Plan, build_dir: Path
):
    function = one(md5_plan, FUNCTION)
    inputs = function.inputs
    assert inputs["runtime"] == "python3.13"
    assert inputs["handler"] == "app.app"
    assert inputs["name"] == "md5-api-dev"
    assert inputs["memorySize"] == 128
    assert inputs["timeout"] == 10
    assert inputs["architectures"] == ["x86_64"]
    assert Path(inputs["code"].path) == build_dir / "md5_api.zip"
    archive_path = build_dir / "md5_api.zip"
    digest = base64.b64encode(hashlib.sha256(archive_path.read_bytes()).digest()).decode()
    assert inputs["sourceCodeHash"] == digest
    assert inputs["loggingConfig"] == {"logFormat": "Text", "logGroup": "/aws/lambda/md5-api-dev"}
    assert "environment" not in inputs


def test_memory_timeout_and_environment_come_from_the_args(md5_args: ChaliceApiArgs):
    args = replace(md5_args, memory_mb=256, timeout_seconds=29, environment={"LOG_LEVEL": "INFO"})
    inputs = one(plan_api(args), FUNCTION).inputs
    assert (inputs["memorySize"], inputs["timeout"]) == (256, 29)
    assert inputs["environment"] == {"variables": {"LOG_LEVEL": "INFO"}}


def test_function_is_created_after_its_log_group_and_role_policy(md5_plan: Plan):
    function = one(md5_plan, FUNCTION)
    assert one(md5_plan, LOG_GROUP).urn in function.dependencies
    assert one(md5_plan, ROLE_POLICY).urn in function.dependencies


def test_log_group_is_the_functions_own_with_retention(md5_plan: Plan, md5_args):
    log_group = one(md5_plan, LOG_GROUP)
    assert log_group.inputs["name"] == "/aws/lambda/md5-api-dev"
    assert log_group.inputs["retentionInDays"] == 90
    longer = one(plan_api(replace(md5_args, log_retention_days=365)), LOG_GROUP)
    assert longer.inputs["retentionInDays"] == 365


def test_function_name_follows_the_stack(md5_args: ChaliceApiArgs):
    prod = plan_api(md5_args, stack="prod")
    assert one(prod, FUNCTION).inputs["name"] == "md5-api-prod"
    assert one(prod, LOG_GROUP).inputs["name"] == "/aws/lambda/md5-api-prod"


# --- IAM -------------------------------------------------------------------------------------


def test_only_lambda_may_assume_the_role(md5_plan: Plan):
    role = one(md5_plan, ROLE)
    assert json.loads(role.inputs["assumeRolePolicy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    assert one(md5_plan, FUNCTION).inputs["role"] == role.outputs["arn"]
    assert "managedPolicyArns" not in role.inputs
    assert md5_plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") == []


def test_the_role_may_only_write_to_its_own_log_group(md5_plan: Plan):
    policy = one(md5_plan, ROLE_POLICY)
    group_arn = one(md5_plan, LOG_GROUP).outputs["arn"]
    assert group_arn == "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/md5-api-dev"
    assert json.loads(policy.inputs["policy"])["Statement"] == [
        {
            "Sid": "WriteOwnLogGroupOnly",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [group_arn, f"{group_arn}:*"],
        }
    ]
    assert policy.inputs["role"] == one(md5_plan, ROLE).id


def test_api_gateway_may_invoke_the_function_only_through_this_apis_stage(md5_plan: Plan):
    permission = one(md5_plan, PERMISSION).inputs
    execution_arn = one(md5_plan, REST_API).outputs["execution_arn"]
    assert (
        execution_arn == f"arn:aws:execute-api:us-east-1:123456789012:{one(md5_plan, REST_API).id}"
    )
    assert permission == {
        "action": "lambda:InvokeFunction",
        "function": "md5-api-dev",
        "principal": "apigateway.amazonaws.com",
        "sourceArn": f"{execution_arn}/api/*/*",
    }


# --- stage, throttling, authorization --------------------------------------------------------


def test_the_api_stage_serves_the_latest_deployment(md5_plan: Plan):
    stage = one(md5_plan, STAGE)
    rest_api = one(md5_plan, REST_API)
    assert stage.inputs["stageName"] == "api"
    assert stage.inputs["restApi"] == rest_api.id
    assert stage.inputs["deployment"] == one(md5_plan, DEPLOYMENT).id
    assert one(md5_plan, DEPLOYMENT).inputs["restApi"] == rest_api.id
    assert rest_api.inputs["name"] == "md5-api-dev"
    assert rest_api.inputs["endpointConfiguration"] == {"types": "EDGE"}


def test_a_stage_name_from_the_args_names_the_stage_settings_and_permission(md5_args):
    plan = plan_api(with_stage(md5_args, stage_name="v1"))
    assert one(plan, STAGE).inputs["stageName"] == "v1"
    assert one(plan, METHOD_SETTINGS).inputs["stageName"] == "v1"
    assert one(plan, PERMISSION).inputs["sourceArn"].endswith("/v1/*/*")


def test_every_method_of_the_stage_is_throttled_with_metrics(md5_plan: Plan, md5_args):
    settings = one(md5_plan, METHOD_SETTINGS).inputs
    assert settings["methodPath"] == "*/*"
    assert settings["settings"] == {
        "metricsEnabled": True,
        "throttlingRateLimit": 10,
        "throttlingBurstLimit": 20,
    }
    custom = one(
        plan_api(with_stage(md5_args, throttle_rate_limit=5, throttle_burst_limit=7)),
        METHOD_SETTINGS,
    )
    assert custom.inputs["settings"]["throttlingRateLimit"] == 5
    assert custom.inputs["settings"]["throttlingBurstLimit"] == 7


def test_aws_iam_authorization_requires_sigv4_on_every_method(md5_plan: Plan):
    body = api_body(md5_plan)
    assert body["securityDefinitions"] == {
        "sigv4": {
            "in": "header",
            "type": "apiKey",
            "name": "Authorization",
            "x-amazon-apigateway-authtype": "awsSigv4",
        }
    }
    for methods in body["paths"].values():
        for operation in methods.values():
            assert operation["security"] == [{"sigv4": []}]


def test_authorization_none_leaves_every_method_open(md5_args: ChaliceApiArgs):
    body = api_body(plan_api(with_stage(md5_args, authorization="NONE")))
    assert "securityDefinitions" not in body
    for methods in body["paths"].values():
        for operation in methods.values():
            assert "security" not in operation


def test_a_lambda_authorizer_in_the_app_is_refused_by_name(tmp_path: Path, build_dir: Path):
    app_dir = write_app(
        tmp_path / "authorized",
        """
        from chalice import AuthResponse, Chalice

        app = Chalice(app_name="authorized")


        @app.authorizer()
        def token_check(auth_request):
            return AuthResponse(routes=["/"], principal_id="user")


        @app.route("/", authorizer=token_check)
        def index():
            return {}
        """,
    )
    with pytest.raises(ProgramFailed) as failure:
        plan_api(ChaliceApiArgs(app_dir=app_dir, build_dir=build_dir))
    assert isinstance(failure.value.__cause__, ValueError)
    assert "token_check" in str(failure.value.__cause__)


# --- the component's shape -------------------------------------------------------------------


def test_every_child_is_parented_and_named_after_the_component(md5_plan: Plan):
    component = one(md5_plan, COMPONENT)
    children = [resource for resource in md5_plan.resources if resource is not component]
    assert {resource.type for resource in children} == {
        LOG_GROUP, ROLE, ROLE_POLICY, FUNCTION, REST_API, DEPLOYMENT, STAGE, METHOD_SETTINGS,
        PERMISSION,
    }  # fmt: skip
    for resource in children:
        assert resource.parent == component.urn, resource.name
        assert resource.name.startswith("md5-api-"), resource.name


def test_nothing_in_the_plan_is_secret(md5_plan: Plan):
    for resource in md5_plan.resources:
        assert SECRET_SIGNATURE not in str(resource.properties), resource.name


def test_a_secret_environment_value_stays_secret_and_nothing_else_is(md5_args):
    def program() -> None:
        secret = pulumi.Output.secret("s3cr3t-token")
        ChaliceApi("md5-api", replace(md5_args, environment={"API_TOKEN": secret}))

    plan = run_program("dev", program=program)
    secret_holders = [r.name for r in plan.resources if SECRET_SIGNATURE in str(r.properties)]
    assert secret_holders == ["md5-api-function"]
    assert "s3cr3t-token" not in str(plan.exports)


def test_outputs_are_registered_on_the_component(md5_args: ChaliceApiArgs):
    seen: dict[str, Any] = {}

    def program() -> None:
        api = ChaliceApi("md5-api", md5_args)
        for name in ("url", "function_name", "role_arn", "rest_api_id", "stage_name"):
            getattr(api, name).apply(lambda value, name=name: seen.__setitem__(name, value))

    plan = run_program("dev", program=program)
    rest_api = one(plan, REST_API)
    assert seen == {
        "url": f"https://{rest_api.id}.execute-api.us-east-1.amazonaws.com/api",
        "function_name": "md5-api-dev",
        "role_arn": one(plan, ROLE).outputs["arn"],
        "rest_api_id": rest_api.id,
        "stage_name": "api",
    }


# --- Args validation -------------------------------------------------------------------------

BAD_ARGS = [
    ({"memory_mb": 127}, "memory_mb"),
    ({"memory_mb": 10241}, "memory_mb"),
    ({"timeout_seconds": 0}, "timeout_seconds"),
    ({"timeout_seconds": 30}, "timeout_seconds"),
    ({"log_retention_days": 45}, "log_retention_days"),
    ({"architecture": "sparc"}, "architecture"),
    ({"function_name": "x" * 65}, "function_name"),
    ({"function_name": "md5 api"}, "function_name"),
    ({"environment": {"AWS_REGION": "eu-west-1"}}, "environment"),
    ({"environment": {"1ST": "x"}}, "environment"),
    ({"app_object": "not-a-name"}, "app_object"),
    ({"app_dir": PROJECT_DIR / "functions"}, "app_dir"),
]


@pytest.mark.parametrize(
    ("overrides", "argument"), BAD_ARGS, ids=[str(c[0])[:40] for c in BAD_ARGS]
)
def test_invalid_args_raise_naming_the_argument(overrides, argument, md5_args: ChaliceApiArgs):
    with pytest.raises(ValueError, match=f"^{argument}"):
        replace(md5_args, **overrides)


BAD_STAGE = [
    ({"authorization": "IAM"}, "authorization"),
    ({"authorization": "aws_iam"}, "authorization"),
    ({"throttle_rate_limit": 0}, "throttle_rate_limit"),
    ({"throttle_burst_limit": 0}, "throttle_burst_limit"),
    ({"stage_name": "my stage"}, "stage_name"),
    ({"endpoint_type": "PRIVATE"}, "endpoint_type"),
]


@pytest.mark.parametrize(("overrides", "argument"), BAD_STAGE, ids=[str(c[0]) for c in BAD_STAGE])
def test_invalid_stage_settings_raise_naming_the_argument(
    overrides, argument, md5_args: ChaliceApiArgs
):
    with pytest.raises(ValueError, match=f"^{argument}"):
        with_stage(md5_args, **overrides)


def test_a_custom_domain_needs_a_regional_stage(md5_args: ChaliceApiArgs):
    with pytest.raises(ValueError, match="^endpoint_type: 'EDGE'; a REGIONAL custom domain"):
        replace(md5_args, custom_domain_name="md5sum.example.com")
    regional = with_stage(md5_args, endpoint_type="REGIONAL")
    assert replace(regional, custom_domain_name="md5sum.example.com").stage == regional.stage


def test_a_missing_app_object_is_named(md5_args: ChaliceApiArgs):
    with pytest.raises(ProgramFailed) as failure:
        plan_api(replace(md5_args, app_object="application"))
    assert str(failure.value.__cause__).startswith("app_object")


# --- the whole program -----------------------------------------------------------------------


def test_the_dev_program_deploys_the_md5_api_and_exports_its_url(stack_plan):
    plan = stack_plan("dev")
    component = plan.named("md5-api")
    assert component.type == COMPONENT
    assert routes_of(api_body(plan)) == {
        "/": {"get"},
        "/md5/{string_to_hash}": {"get"},
        "/md5": {"post"},
    }
    stage = plan.named("md5-api-stage")
    assert plan.exports["md5ApiUrl"] == stage.outputs["invoke_url"]
    assert plan.exports["md5ApiUrl"].endswith(".execute-api.us-east-1.amazonaws.com/api")
    # dev is public, as in the notes (Pulumi.dev.yaml); its logs kept 30 days.
    assert "securityDefinitions" not in api_body(plan)
    assert plan.named("md5-api-logs").inputs["retentionInDays"] == 30


def test_prod_keeps_the_secure_default_authorization(stack_plan):
    plan = stack_plan("prod")
    assert api_body(plan)["securityDefinitions"]["sigv4"]["x-amazon-apigateway-authtype"] == (
        "awsSigv4"
    )
    assert plan.named("md5-api-logs").inputs["retentionInDays"] == 365


def test_the_program_preview_knows_the_api_shape_before_anything_exists(stack_plan):
    plan = stack_plan("prod", preview=True)
    assert plan.named("md5-api-function").inputs["name"] == "md5-api-prod"
    assert plan.named("md5-api-deployment").inputs["triggers"]["body_sha256"]
