"""The Lambda building block on its own: what `lambda_function` registers for a spec, under the
SDK's mocks, and the specs it refuses."""

from __future__ import annotations

import json

import pulumi
import pytest

from components.lambdas.function import (
    FunctionAlarm,
    FunctionAlias,
    FunctionSpec,
    LambdaFunction,
    lambda_function,
)
from components.lambdas.zips import write_deterministic_zip
from tools.offline import Plan, run_program

STATEMENT = {"Effect": "Allow", "Action": "sqs:ReceiveMessage", "Resource": "arn:aws:sqs:::q"}


class Holder(pulumi.ComponentResource):
    def __init__(self, spec: FunctionSpec):
        super().__init__("test:block:Holder", "holder")
        self.built: LambdaFunction = lambda_function("worker", spec, parent=self)


@pytest.fixture
def archive(tmp_path):
    return write_deterministic_zip(
        {"handler.py": b"def handler(e, c):\n    pass\n"}, tmp_path / "a.zip"
    )


def planned(spec: FunctionSpec) -> Plan:
    return run_program("dev", program=lambda: Holder(spec))


def by_name(plan: Plan) -> dict:
    return {(r.type, r.name): r for r in plan.resources}


def test_a_full_spec_builds_function_role_logs_alias_and_alarms(archive):
    spec = FunctionSpec(
        function_name="worker-dev",
        handler="handler.handler",
        archive=archive,
        statements=[STATEMENT],
        log_retention_days=365,
        alias=FunctionAlias("live", "what events invoke"),
        alarms=[
            FunctionAlarm("Errors", "it failed", topic_arn="arn:aws:sns:us-east-1:1:t"),
            FunctionAlarm("Throttles", "it was throttled", period_seconds=60),
        ],
        tags={"Project": "p"},
    )
    resources = by_name(planned(spec))
    logs = resources["aws:cloudwatch/logGroup:LogGroup", "worker-logs"]
    assert logs.inputs["name"] == "/aws/lambda/worker-dev"
    assert logs.inputs["retentionInDays"] == 365
    policy = json.loads(
        resources["aws:iam/rolePolicy:RolePolicy", "worker-policy"].inputs["policy"]
    )
    # Writing its own log group, then exactly the statements given: nothing more.
    assert [s.get("Sid") for s in policy["Statement"]] == ["WriteOwnLogGroupOnly", None]
    assert policy["Statement"][1] == STATEMENT
    trust = json.loads(resources["aws:iam/role:Role", "worker-role"].inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    function = resources["aws:lambda/function:Function", "worker-function"]
    assert function.inputs["publish"] is True
    assert {logs.urn, resources["aws:iam/rolePolicy:RolePolicy", "worker-policy"].urn} <= set(
        function.dependencies
    )
    alias = resources["aws:lambda/alias:Alias", "worker-alias"]
    assert alias.inputs["name"] == "live"
    errors = resources["aws:cloudwatch/metricAlarm:MetricAlarm", "worker-errors-alarm"]
    throttles = resources["aws:cloudwatch/metricAlarm:MetricAlarm", "worker-throttles-alarm"]
    assert (errors.inputs["metricName"], errors.inputs["alarmActions"]) == (
        "Errors",
        ["arn:aws:sns:us-east-1:1:t"],
    )
    assert errors.inputs["okActions"] == ["arn:aws:sns:us-east-1:1:t"]
    assert (throttles.inputs["metricName"], throttles.inputs["period"]) == ("Throttles", 60)
    assert "alarmActions" not in throttles.inputs
    assert {r.parent for r in resources.values() if r.name.startswith("worker-")} == {
        resources["test:block:Holder", "holder"].urn
    }


def test_a_bare_spec_publishes_nothing_and_watches_nothing(archive):
    spec = FunctionSpec(function_name="bare-dev", handler="handler.handler", archive=archive)
    resources = by_name(planned(spec))
    assert resources["aws:lambda/function:Function", "worker-function"].inputs["publish"] is False
    kinds = {kind for kind, _ in resources}
    assert "aws:lambda/alias:Alias" not in kinds
    assert "aws:cloudwatch/metricAlarm:MetricAlarm" not in kinds
    policy = json.loads(
        resources["aws:iam/rolePolicy:RolePolicy", "worker-policy"].inputs["policy"]
    )
    assert len(policy["Statement"]) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"function_name": "no spaces allowed"}, "function_name: 'no spaces allowed'"),
        ({"function_name": "x" * 65}, "function_name: "),
        (
            {"alarms": [FunctionAlarm("Errors", "a"), FunctionAlarm("Errors", "b")]},
            "alarms: ['Errors', 'Errors'] has a metric twice",
        ),
    ],
)
def test_a_bad_spec_is_refused_naming_the_field(archive, changes, message):
    fields = {"function_name": "ok-dev", "handler": "handler.handler", "archive": archive}
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        FunctionSpec(**{**fields, **changes})
