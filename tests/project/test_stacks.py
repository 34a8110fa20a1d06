"""The real program, per stack, and the offline plan command a new user runs first."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pulumi.runtime import rpc

from components.settings import SECRET_KEYS
from tests.support.topology import NAT_GATEWAY, Topology
from tools.offline import PROJECT_ROOT, SECRET_STAND_INS, run_program


@pytest.mark.parametrize(("stack", "zones", "nat_gateways"), [("dev", 2, 1), ("prod", 3, 3)])
def test_stack_spreads_over_its_zones_with_its_nat_gateways(stack_plan, stack, zones, nat_gateways):
    plan = stack_plan(stack)
    topology = Topology(plan)
    assert len(topology.subnets("public")) == zones
    assert len(topology.subnets("private")) == zones
    assert len(plan.of_type(NAT_GATEWAY)) == nat_gateways


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_private_subnet_of_the_stack_leaves_through_a_nat_gateway(stack_plan, stack):
    topology = Topology(stack_plan(stack))
    used = set()
    for subnet in topology.subnets("private"):
        route = topology.default_route(subnet)
        assert route is not None and route.kind == "nat", subnet.name
        used.add(route.target.urn)
        if stack == "prod":
            nat_zone = topology.subnet_of_nat(route.target).inputs["availabilityZone"]
            assert nat_zone == subnet.inputs["availabilityZone"]
    assert len(used) == {"dev": 1, "prod": 3}[stack]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_preview_plans_the_same_resources_with_unknown_ids(stack_plan, stack):
    update, preview = stack_plan(stack), stack_plan(stack, preview=True)
    assert preview.count_by_type() == update.count_by_type()
    assert all(resource.id == "" for resource in preview.resources)


def test_stack_exports_name_the_network(stack_plan):
    exports = stack_plan("dev").exports
    assert exports["availabilityZones"] == ["us-east-1a", "us-east-1b"]
    assert exports["vpcId"].startswith("vpc-")
    assert exports["natGatewayCount"] == 1


def run_plan(*arguments: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    """The plan command as a user runs it, in this checkout or another one (`cwd`)."""
    return subprocess.run(
        [sys.executable, "-m", "tools.plan", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_plan_command_prints_the_tree_outputs_counts_diagnostics_and_policies():
    result = run_plan("dev")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Offline plan (update, mocked AWS): project platform, stack dev")
    assert any(
        re.match(r" \+   [├└]─ platform:network:Network\s+platform\s+create$", line)
        for line in lines
    )
    assert any(
        re.match(r" \+   │  [├└]─ aws:ec2/vpc:Vpc\s+platform-vpc\s+create$", line) for line in lines
    )
    outputs = lines.index("Outputs:")
    assert any(line.split()[:1] == ["vpcId:"] for line in lines[outputs:])
    assert re.search(
        r"^Resources: \+ (\d+) to create, ~ 0 to update, - 0 to delete, 0 unchanged$",
        result.stdout,
        re.MULTILINE,
    )
    diagnostics = lines.index("Diagnostics:")
    assert "no alertPhoneNumber is configured" in lines[diagnostics + 1]
    assert lines[-1] == "0 mandatory violations"
    # Diagnostics come after the plan, not above its header.
    assert "warning" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(("stack", "nat_gateways"), [("dev", 1), ("prod", 3)])
def test_plan_command_prices_the_nat_gateways_of_each_stack(stack, nat_gateways):
    result = run_plan(stack, "--no-policy")
    assert result.returncode == 0, result.stderr
    table = json.loads((PROJECT_ROOT / "tools" / "prices" / "us-east-1.json").read_text())
    assert f"us-east-1 prices of {table['date']}" in result.stdout
    nat_lines = [
        line for line in result.stdout.splitlines() if ": NAT gateway, 1 x $0.045/h" in line
    ]
    assert len(nat_lines) == nat_gateways
    assert all(line.split()[-1] == "$32.85" for line in nat_lines)


def test_plan_command_exits_non_zero_naming_the_bad_key(tmp_path):
    stack_file = tmp_path / "Pulumi.broken.yaml"
    stack_file.write_text("config:\n  platform:vpcCidr: 10.0.0.0/33\n")
    result = run_plan("broken", "--stack-file", str(stack_file))
    assert result.returncode == 2
    assert "platform:vpcCidr = '10.0.0.0/33'" in result.stderr
    assert "Traceback" not in result.stderr


def test_plan_command_refuses_an_encrypted_value_without_a_stand_in(tmp_path):
    stack_file = tmp_path / "Pulumi.secret.yaml"
    stack_file.write_text("config:\n  platform:vpcCidr:\n    secure: AAABAKo=\n")
    result = run_plan("secret", "--stack-file", str(stack_file))
    assert result.returncode == 2
    assert "platform:vpcCidr is encrypted and has no offline stand-in" in result.stderr
    assert "--secret KEY=VALUE" in result.stderr


# What `pulumi config set --secret` writes into a stack file (the runbooks' first step).
ENCRYPTED = "    secure: v1:Zm9vYmFy:c2VjcmV0LWNpcGhlcnRleHQ=\n"


def dev_stack_with_encrypted(tmp_path, *keys: str):
    """The dev stack file with exactly `keys` encrypted (whatever the real one encrypts)."""
    stack = yaml.safe_load((PROJECT_ROOT / "Pulumi.dev.yaml").read_text())
    config = {
        key: value
        for key, value in stack["config"].items()
        if not (isinstance(value, dict) and "secure" in value)
    }
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text(
        yaml.safe_dump({"config": config})
        + "".join(f"  platform:{key}:\n{ENCRYPTED}" for key in keys)
    )
    return stack_file


@pytest.mark.parametrize("key", sorted(SECRET_KEYS))
def test_each_secret_setting_has_a_stand_in_its_validation_accepts(tmp_path, key):
    plan = run_program("dev", stack_file=dev_stack_with_encrypted(tmp_path, key))
    assert plan.stand_ins == [f"platform:{key}"]
    assert set(SECRET_STAND_INS) == {f"platform:{name}" for name in SECRET_KEYS}


@pytest.mark.slow
def test_a_committed_secure_phone_number_plans_with_a_stand_in_kept_secret(tmp_path):
    stack_file = dev_stack_with_encrypted(tmp_path, "alertPhoneNumber", "dbPassword")
    result = run_plan("dev", "--stack-file", str(stack_file))
    assert result.returncode == 0, result.stderr
    for key in ("platform:alertPhoneNumber", "platform:dbPassword"):
        assert f"note: {key} is encrypted in the stack file: planned with an offline stand-in" in (
            result.stdout
        )
        assert SECRET_STAND_INS[key] not in result.stdout + result.stderr
    plan = run_program("dev", stack_file=stack_file)
    (subscription,) = [
        subscription
        for subscription in plan.of_type("aws:sns/topicSubscription:TopicSubscription")
        if subscription.inputs["protocol"] == "sms"
    ]
    endpoint = subscription.inputs["endpoint"]
    assert endpoint[rpc._special_sig_key] == rpc._special_secret_sig
    assert endpoint["value"] == SECRET_STAND_INS["platform:alertPhoneNumber"]
    assert SECRET_STAND_INS["platform:alertPhoneNumber"] not in json.dumps(plan.exports)


@pytest.mark.slow
def test_a_secret_given_on_the_command_line_replaces_the_stand_in(tmp_path):
    stack_file = dev_stack_with_encrypted(tmp_path, "alertPhoneNumber")
    plan = run_program("dev", stack_file=stack_file, secrets={"alertPhoneNumber": "+442079460000"})
    assert plan.stand_ins == []
    (subscription,) = [
        subscription
        for subscription in plan.of_type("aws:sns/topicSubscription:TopicSubscription")
        if subscription.inputs["protocol"] == "sms"
    ]
    assert subscription.inputs["endpoint"]["value"] == "+442079460000"
    assert subscription.inputs["endpoint"][rpc._special_sig_key] == rpc._special_secret_sig


RUNBOOK_OUTPUTS = {
    "md5ApiUrl",
    "md5ApiFunctionName",
    "md5ApiLogGroupName",
    "monitorUrl",
    "monitorHttpFunctionName",
    "monitorScheduledFunctionName",
    "monitorHttpLogGroupName",
    "monitorScheduledLogGroupName",
    "flowLogGroupName",
}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_exports_the_names_the_runbooks_use(stack_plan, stack):
    exports = stack_plan(stack).exports
    assert RUNBOOK_OUTPUTS <= set(exports)
    assert exports["md5ApiLogGroupName"] == f"/aws/lambda/{exports['md5ApiFunctionName']}"
    assert exports["monitorScheduledLogGroupName"] == (
        f"/aws/lambda/{exports['monitorScheduledFunctionName']}"
    )


@pytest.mark.parametrize(("stack", "force_destroy"), [("dev", True), ("prod", False)])
def test_only_dev_lets_destroy_empty_its_versioned_buckets(stack_plan, stack, force_destroy):
    buckets = stack_plan(stack).of_type("aws:s3/bucket:Bucket")
    assert buckets
    assert {bool(bucket.inputs.get("forceDestroy")) for bucket in buckets} == {force_destroy}
