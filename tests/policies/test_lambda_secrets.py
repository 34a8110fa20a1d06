"""Secrets in Lambda environment variables (issue 25, 2, and issue 24, 4).

Lambda keeps environment variables with the function's configuration, readable in plain text by
anyone allowed lambda:GetFunctionConfiguration:
https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html
A reference to a secret (its ARN, name, path, alias, id or endpoint) is not the secret. The CLI
sends a Pulumi secret to the analyzer wrapped as a secret (`KeepSecrets: true`,
pulumi/pulumi sdk/go/common/resource/plugin/analyzer_plugin.go); pulumi-policy unwraps it.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from tests.support.policy_support import run_resource_policy
from tools.offline import run_program
from tools.policy_gate import PolicyAnalyzer, run_gate

FUNCTION = "aws:lambda/function:Function"
POLICY = "lambda-no-plain-secrets-in-environment"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"


@pytest.fixture(scope="module")
def analyzer():
    with PolicyAnalyzer() as started:
        yield started


def _flagged(variables: dict[str, str]) -> list[str]:
    messages = run_resource_policy(
        POLICY, FUNCTION, {"environment": {"variables": variables}}, name="fn"
    )
    return [name for name in variables if messages and f"{name} (" in messages[0]]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DB_SECRET_ARN", SECRET_ARN),
        ("DB_PASSWORD", SECRET_ARN),  # an ARN is a reference whatever the name
        ("SIGNING_KEY_ALIAS", "alias/app-signing"),
        ("SIGNING_KEY", "alias/app-signing"),
        ("DB_PASSWORD_PARAM", "/prod/db/password"),
        ("API_TOKEN_PATH", "/prod/api/token"),
        ("API_KEY_NAME", "prod/api-key"),
        ("DB_SECRET_ID", "prod/db"),
        ("KMS_KEY_ID", "1234abcd-12ab-34cd-56ef-1234567890ab"),
        ("TOKEN_ENDPOINT", "https://auth.example.com/oauth2/token"),
        ("SECRETS_HOST", "secretsmanager.us-east-1.amazonaws.com"),
        ("API_KEY_HEADER", "x-api-key"),
        ("SORT_KEY", "createdAt"),
        ("OBJECT_KEY", "uploads/report.csv"),
        ("TABLE_NAME", "orders"),
        ("DB_PASSWORD", ""),
    ],
)
def test_references_and_plain_settings_are_not_secrets(name, value):
    assert _flagged({name: value}) == []


@pytest.mark.parametrize(
    ("name", "value", "why"),
    [
        ("DB_PASSWORD", "hunter2", "named like a secret (PASSWORD)"),
        ("API_KEY", "abc123", "named like a secret (KEY)"),
        ("apiToken", "abc123", "named like a secret (TOKEN)"),
        # The name asks for a reference, the value is not shaped like one.
        ("API_KEY_NAME", "hunter 2!", "named like a secret (KEY)"),
        ("SECRET_URL", "https://admin:hunter2@db.example.com/", "named like a secret (SECRET)"),
        ("TOKEN_ENDPOINT", "https://auth.example.com/cb?token=abc", "named like a secret"),
        # Credential-shaped values, whatever the name.
        ("SIGNING_PEM", PEM, "a value shaped like a credential"),
        ("GH", "ghp_" + "a1B2" * 9, "a value shaped like a credential"),
        ("STRIPE", "sk_live_" + "a1B2" * 6, "a value shaped like a credential"),
    ],
)
def test_literal_secrets_are_blocked_naming_why_but_not_the_value(name, value, why):
    messages = run_resource_policy(
        POLICY, FUNCTION, {"environment": {"variables": {name: value}}}, name="fn"
    )
    assert len(messages) == 1 and f"{name} ({why}" in messages[0]
    assert value not in messages[0]


def _function(variables: dict[str, pulumi.Input[str]] | pulumi.Output) -> None:
    role = aws.iam.Role(
        "twin-role",
        assume_role_policy='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}',
    )
    aws.lambda_.Function(
        "twin-fn",
        role=role.arn,
        runtime="python3.13",
        handler="app.handler",
        code=pulumi.AssetArchive({"app.py": pulumi.StringAsset("def handler(e, c): pass")}),
        environment=aws.lambda_.FunctionEnvironmentArgs(variables=variables),
    )


WEBHOOK = "https://hooks.example.com/services/T000/B000/offline-stand-in"


@pytest.mark.parametrize("preview", [False, True])
def test_a_pulumi_secret_in_the_environment_is_plain_text_at_aws(analyzer, preview):
    def program() -> None:
        _function(
            {
                "WEBHOOK_URL": pulumi.Output.secret(WEBHOOK),  # no secret word, a URL
                "PARTNER": pulumi.Output.secret("c0ffee-partner-code"),
                "DB_SECRET_ARN": pulumi.Output.secret(SECRET_ARN),  # a reference, even secret
                "TABLE_NAME": "orders",
            }
        )

    result = run_gate(run_program("dev", preview=preview, program=program), analyzer)
    [violation] = result.by_policy(POLICY)
    assert violation.resource_name == "twin-fn" and violation.level == "mandatory"
    assert "WEBHOOK_URL (a Pulumi secret)" in violation.message
    assert "PARTNER (a Pulumi secret)" in violation.message
    assert "DB_SECRET_ARN" not in violation.message and "TABLE_NAME" not in violation.message
    assert WEBHOOK not in violation.message and "c0ffee" not in violation.message


def test_a_whole_secret_environment_is_secret_variable_by_variable(analyzer):
    def program() -> None:
        _function(pulumi.Output.secret({"REGION_LABEL": "eu", "DB_SECRET_ARN": SECRET_ARN}))

    [violation] = run_gate(run_program("dev", program=program), analyzer).by_policy(POLICY)
    assert "REGION_LABEL (a Pulumi secret)" in violation.message
    assert "DB_SECRET_ARN" not in violation.message


def test_the_same_values_not_marked_secret_pass(analyzer):
    def program() -> None:
        _function({"WEBHOOK_URL": WEBHOOK, "PARTNER": "c0ffee-partner-code"})

    assert run_gate(run_program("dev", program=program), analyzer).by_policy(POLICY) == []
