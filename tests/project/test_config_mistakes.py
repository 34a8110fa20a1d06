"""Config mistakes caught the way the Pulumi CLI catches them (issue 26, items 6 and 7).

A secret setting written as plain text, a misspelt namespace, a misspelt key and an unknown stack
each stop the plan before anything is registered, naming what to fix and never showing a value.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from components.settings import KNOWN_NAMESPACES, SECRET_KEYS, SettingsError, parse_settings
from tools.offline import PROJECT_ROOT, ProgramFailed, run_program

# A valid value of each secret setting: the plain-text check is the only one that may refuse it.
PLAIN_SECRETS = {
    "dbPassword": "CorrectHorse-Battery9",
    "alertPhoneNumber": "+15555550123",
    "monitorWebhookUrl": "https://hooks.example.com/services/T000/B000/plain-token",
}


def run_plan(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.plan", *arguments],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def dev_stack_with(tmp_path: Path, extra: str) -> Path:
    """The dev stack file with `extra` lines (YAML, two-space indented) added to its config."""
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text((PROJECT_ROOT / "Pulumi.dev.yaml").read_text() + extra)
    return stack_file


# --- item 6: a secret setting in plain text ------------------------------------------------


def test_no_setting_is_declared_secret_with_a_plain_default():
    """Since CLI 3.202.0 a `secret: true` key's plain default is refused when the stack leaves it
    unset (pulumi/pulumi#21865: "Stack 'dev' with configuration key ... must be encrypted as
    it's secret"), so the dev stack, which sets none of them, would not even preview. The
    secret settings are declared without `secret: true`, and the program refuses their plain
    values itself (below)."""
    declared = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())["config"]
    assert not [key for key, spec in declared.items() if spec.get("secret")]
    assert set(SECRET_KEYS) <= set(declared)
    assert all(declared[key]["default"] == "" for key in SECRET_KEYS)
    assert set(PLAIN_SECRETS) == set(SECRET_KEYS)


# The Pulumi CLI refuses a plain stack value for a key the project declares `secret: true`,
# before the program runs: "Stack '<stack>' with configuration key '<key>' must be encrypted as
# it's secret" (validateStackConfigValue in
# https://github.com/pulumi/pulumi/blob/master/sdk/go/common/workspace/config.go; the project
# file's `secret` attribute: https://www.pulumi.com/docs/iac/concepts/projects/project-file/).
@pytest.mark.parametrize("key", sorted(PLAIN_SECRETS))
def test_a_plain_text_secret_in_the_stack_file_is_refused_like_the_cli(tmp_path, key):
    value = PLAIN_SECRETS[key]
    stack_file = dev_stack_with(tmp_path, f"  platform:{key}: '{value}'\n")
    with pytest.raises(ProgramFailed) as failure:
        run_program("dev", stack_file=stack_file)
    error = failure.value.__cause__
    assert isinstance(error, SettingsError)
    [problem] = error.problems
    assert problem.startswith(f"platform:{key} = [secret] must be encrypted")
    assert f"pulumi config set --secret {key}" in problem
    assert value not in str(error)
    assert failure.value.plan.resources == []


def test_the_plan_command_refuses_a_plain_text_password_without_printing_it(tmp_path):
    stack_file = dev_stack_with(tmp_path, "  platform:dbPassword: CorrectHorse-Battery9\n")
    result = run_plan("dev", "--stack-file", str(stack_file), "--no-policy")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "platform:dbPassword = [secret] must be encrypted" in result.stderr
    assert "pulumi config set --secret dbPassword" in result.stderr
    assert "CorrectHorse" not in result.stdout + result.stderr


def test_the_settings_refuse_a_secret_the_engine_did_not_mark_secret():
    # Under the CLI the engine passes which keys are secret (pulumi.runtime.is_config_secret);
    # load_settings hands those to parse_settings as `secret_keys`.
    raw = {"dbPassword": "CorrectHorse-Battery9"}
    with pytest.raises(SettingsError, match=r"platform:dbPassword = \[secret\] must be encrypted"):
        parse_settings(raw, project="platform", stack="dev", secret_keys=())
    settings = parse_settings(raw, project="platform", stack="dev", secret_keys={"dbPassword"})
    assert settings.database.password is not None


def test_an_encrypted_or_given_secret_still_plans(tmp_path):
    plan = run_program("dev", secrets={"dbPassword": "CorrectHorse-Battery9"})
    assert plan.resources


# --- item 7: misspelt namespaces and keys, unknown stacks ----------------------------------


def test_known_namespaces_are_the_project_aws_pulumi_and_the_required_providers():
    required = re.findall(
        r"^pulumi-([a-z0-9-]+)==", (PROJECT_ROOT / "requirements.in").read_text(), re.M
    )
    assert set(KNOWN_NAMESPACES) == {"aws", "pulumi", *required}


def test_a_misspelt_namespace_is_refused_with_the_key_it_meant(tmp_path):
    stack_file = dev_stack_with(tmp_path, "  platfrom:flowLogRetentionDays: 30\n")
    with pytest.raises(ProgramFailed) as failure:
        run_program("dev", stack_file=stack_file)
    [problem] = failure.value.__cause__.problems  # type: ignore[union-attr]
    assert problem.startswith("platfrom:flowLogRetentionDays: namespace 'platfrom' is neither")
    assert "did you mean platform:flowLogRetentionDays?" in problem
    assert failure.value.plan.resources == []


def test_a_provider_namespace_still_plans():
    plan = run_program("dev", config_overrides={"random:unused": "1", "pulumi:tags": "{}"})
    assert plan.resources


def test_a_misspelt_key_names_the_closest_known_key():
    with pytest.raises(SettingsError) as failure:
        parse_settings({"natStrategey": "per-az"}, project="platform", stack="dev")
    [problem] = failure.value.problems
    assert (
        problem
        == "platform:natStrategey is not a setting of this project; did you mean natStrategy?"
    )


def test_an_unknown_stack_lists_the_stacks_that_exist():
    result = run_plan("staging", "--no-policy")
    assert result.returncode == 2
    assert "no stack 'staging'" in result.stderr
    assert "stacks here: dev, local, prod" in result.stderr


def test_the_review_docs_broken_stack_example_works_as_written(tmp_path):
    page = (PROJECT_ROOT / "docs" / "review.md").read_text()
    block = re.search(r"```\n(\$ printf .*?)```", page, re.S)
    assert block, "docs/review.md has no STACK=broken example"
    lines = block.group(1).splitlines()
    [write] = [line for line in lines if line.startswith("$ printf")]
    assert "$ make plan STACK=broken" in lines
    stack_yaml = re.search(r"printf '(.*?)' > Pulumi\.broken\.yaml", write).group(1)  # type: ignore[union-attr]
    stack_file = tmp_path / "Pulumi.broken.yaml"
    stack_file.write_text(stack_yaml.replace("\\n", "\n"))
    expected = [line for line in lines if not line.startswith("$")]
    result = run_plan("broken", "--stack-file", str(stack_file))
    assert result.returncode == 2
    assert result.stderr.splitlines() == expected
