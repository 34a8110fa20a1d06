"""The `local` stack: the AWS provider pointed at an emulator on localhost, and only there.

The provider settings in `Pulumi.local.yaml` are rendered the way the CLI hands them to the
provider: every `aws:` key is turned into the SDK's typed `ProviderArgs` (endpoints into
`ProviderEndpointArgs`), so a key the provider does not have fails here by name, and the provider
registered from them under mocks must carry exactly the stack file's values.
"""

from __future__ import annotations

import inspect
import json
import keyword
import re
from typing import Any
from urllib.parse import urlsplit

import pulumi
import pulumi_aws as aws
import pytest
import yaml

from tests.project.test_stacks import run_plan
from tools.offline import PROJECT_ROOT, config_string, run_program

pytestmark = pytest.mark.slow

LOCAL_SETTINGS = (
    "aws:endpoints",
    "aws:skipCredentialsValidation",
    "aws:skipRequestingAccountId",
    "aws:skipMetadataApiCheck",
    "aws:s3UsePathStyle",
    "aws:accessKey",
    "aws:secretKey",
)
# Services the program and its functions call; each must go to the emulator, not to AWS.
SERVICES_USED = (
    "apigateway", "autoscaling", "cloudwatch", "dynamodb", "ec2", "efs", "elbv2", "events",
    "iam", "kms", "lambda", "logs", "rds", "s3", "secretsmanager", "sns", "sts",
)  # fmt: skip
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


def stack_config(stack: str) -> dict[str, Any]:
    return yaml.safe_load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]


def aws_settings(stack: str) -> dict[str, Any]:
    return {
        key.removeprefix("aws:"): value
        for key, value in stack_config(stack).items()
        if key.startswith("aws:")
    }


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def parameters(cls: type) -> set[str]:
    return set(inspect.signature(cls.__init__).parameters) - {"self", "__self__"}


def provider_args(settings: dict[str, Any]) -> aws.ProviderArgs:
    """The stack file's `aws:` settings as the SDK's typed provider arguments."""
    known = parameters(aws.ProviderArgs)
    endpoint_names = parameters(aws.ProviderEndpointArgs)
    args: dict[str, Any] = {}
    for key, value in settings.items():
        name = snake(key)
        assert name in known, f"aws:{key} is not a setting of the AWS provider"
        if key == "endpoints":
            value = [_endpoint_args(entry, endpoint_names) for entry in value]
        elif key == "defaultTags":
            value = aws.ProviderDefaultTagsArgs(**value)
        args[name] = value
    return aws.ProviderArgs(**args)


def _endpoint_args(entry: dict[str, str], names: set[str]) -> aws.ProviderEndpointArgs:
    python_names = {}
    for service, url in entry.items():
        name = f"{service}_" if keyword.iskeyword(service) else service
        assert name in names, f"aws:endpoints has no service {service!r}"
        python_names[name] = url
    return aws.ProviderEndpointArgs(**python_names)


def test_local_stack_points_every_service_the_program_uses_at_localhost_only():
    settings = aws_settings("local")
    for key in LOCAL_SETTINGS:
        assert key.removeprefix("aws:") in settings, f"Pulumi.local.yaml lacks {key}"
    assert settings["skipCredentialsValidation"] is True
    assert settings["skipRequestingAccountId"] is True
    assert settings["skipMetadataApiCheck"] is True
    assert settings["s3UsePathStyle"] is True
    endpoints = {service: url for entry in settings["endpoints"] for service, url in entry.items()}
    assert set(SERVICES_USED) <= set(endpoints), set(SERVICES_USED) - set(endpoints)
    for service, url in endpoints.items():
        parts = urlsplit(url)
        assert parts.scheme in ("http", "https") and parts.hostname in LOOPBACK_HOSTS, (
            service,
            url,
        )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_dev_and_prod_talk_to_real_aws(stack):
    settings = aws_settings(stack)
    emulator_only = {key.removeprefix("aws:") for key in LOCAL_SETTINGS}
    assert not emulator_only & set(settings), emulator_only & set(settings)
    assert not any(key.startswith(("skip", "endpoint")) for key in settings)
    assert "localhost" not in (PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text()


def test_the_provider_registers_with_exactly_the_local_stack_settings():
    settings = aws_settings("local")
    args = provider_args(settings)

    def program() -> None:
        aws.Provider("local", args)

    plan = run_program("local", program=program)
    (provider,) = plan.of_type("pulumi:providers:aws")
    inputs = provider.inputs
    for key, value in settings.items():
        assert key in inputs, f"aws:{key} did not reach the provider"
        actual = _unwrap_secret(inputs[key])
        if isinstance(value, list | dict):
            assert _without_nulls(json.loads(actual)) == value, key
        else:
            assert actual == config_string(value), key
    # The dummy keys are still handled as credentials: secrets in the engine's view.
    for key in ("accessKey", "secretKey"):
        field = provider.properties.fields[key].struct_value.fields
        assert field["value"].string_value == "test"
        assert field[pulumi.runtime.rpc._special_sig_key].string_value == (
            pulumi.runtime.rpc._special_secret_sig
        )


def _unwrap_secret(value: Any) -> Any:
    sig = pulumi.runtime.rpc._special_sig_key
    if isinstance(value, dict) and value.get(sig) == pulumi.runtime.rpc._special_secret_sig:
        return value["value"]
    return value


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def test_a_key_the_provider_does_not_have_is_refused_by_name():
    with pytest.raises(AssertionError, match="aws:skipEverything"):
        provider_args({"skipEverything": True})
    with pytest.raises(AssertionError, match="no service 'ec3'"):
        provider_args({"endpoints": [{"ec3": "http://localhost:4566"}]})


def test_the_program_plans_the_local_stack():
    result = run_plan("local")
    assert result.returncode == 0, result.stderr
    assert "project platform, stack local, region us-east-1" in result.stdout.splitlines()[0]
