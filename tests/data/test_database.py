"""Database under the mocks: private, encrypted, backed up, TLS only, and its password a secret."""

from __future__ import annotations

import json

import pytest
from google.protobuf import json_format

from components.data.database import Database, DatabaseArgs
from components.settings import SettingsError
from tests.support.topology import Topology
from tools.offline import Plan, PlannedResource, ProgramFailed, run_program

INSTANCE = "aws:rds/instance:Instance"
SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"
PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
PASSWORD = "Stand-in-Passw0rd-42"
# How the engine marks a secret value on the wire.
SECRET_SIG = "4dabf18193072939515e22adb298388d"


def one(plan: Plan, resource_type: str) -> PlannedResource:
    (resource,) = plan.of_type(resource_type)
    return resource


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_database_is_private_encrypted_and_reachable_only_from_the_app_tier(stack_plan, stack):
    plan = stack_plan(stack)
    topology = Topology(plan)
    instances = plan.of_type(INSTANCE)
    assert len(instances) == 1
    for instance in instances:
        assert instance.inputs["publiclyAccessible"] is False
        assert instance.inputs["storageEncrypted"] is True
        assert instance.inputs["storageType"] == "gp3"
        assert instance.inputs["engine"] == "mysql"
        group = next(
            g
            for g in plan.of_type(SUBNET_GROUP)
            if g.outputs["name"] == instance.inputs["dbSubnetGroupName"]
        )
        private = {subnet.id for subnet in topology.subnets("private")}
        assert set(group.inputs["subnetIds"]) == private
        assert len(group.inputs["subnetIds"]) == len(private)
        (group_id,) = instance.inputs["vpcSecurityGroupIds"]
        database_group = topology.security_group("database")
        assert group_id == database_group.id
        assert topology.rules(database_group) == [
            {"protocol": "tcp", "ports": (3306, 3306), "peer": "app"}
        ]


@pytest.mark.parametrize(("stack", "ha", "retention"), [("dev", False, 7), ("prod", True, 14)])
def test_prod_is_multi_az_protected_and_snapshotted_dev_is_not(stack_plan, stack, ha, retention):
    instance = one(stack_plan(stack), INSTANCE)
    assert instance.inputs["multiAz"] is ha
    assert instance.inputs["deletionProtection"] is ha
    assert instance.inputs["skipFinalSnapshot"] is (not ha)
    assert ("finalSnapshotIdentifier" in instance.inputs) is ha
    assert instance.inputs["backupRetentionPeriod"] == retention


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_tls_is_required_and_error_and_slow_query_logs_go_to_cloudwatch(stack_plan, stack):
    plan = stack_plan(stack)
    instance = one(plan, INSTANCE)
    parameters = one(plan, PARAMETER_GROUP)
    assert instance.inputs["parameterGroupName"] == parameters.outputs["name"]
    # 8.4 by default: RDS standard support of MySQL 8.0 ended on 2026-07-31,
    # https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/MySQL.Concepts.VersionMgmt.html
    assert instance.inputs["engineVersion"] == "8.4"
    assert parameters.inputs["family"] == "mysql8.4"
    values = {p["name"]: p["value"] for p in parameters.inputs["parameters"]}
    assert values["require_secure_transport"] == "ON"
    assert values["slow_query_log"] == "1" and values["log_output"] == "FILE"
    assert sorted(instance.inputs["enabledCloudwatchLogsExports"]) == ["error", "slowquery"]


def test_without_a_password_rds_manages_it_and_the_stack_exports_only_the_secret_arn(stack_plan):
    plan = stack_plan("dev")
    instance = one(plan, INSTANCE)
    assert instance.inputs["manageMasterUserPassword"] is True
    assert "password" not in instance.inputs
    secret_arn = instance.outputs["masterUserSecrets"][0]["secretArn"]
    assert plan.exports["dbSecretArn"] == secret_arn
    assert plan.exports["dbEndpoint"] == instance.outputs["endpoint"]
    assert plan.exports["dbName"] == "wordpress"


def _plain_strings(value, path=""):
    """Every string in a wire value, with its path, skipping the insides of secret values."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270":
            return
        for key, item in value.items():
            yield from _plain_strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _plain_strings(item, f"{path}[{index}]")
    elif isinstance(value, str):
        yield path, value


def test_a_password_from_secret_config_stays_secret_everywhere():
    plan = run_program("dev", secrets={"dbPassword": PASSWORD})
    instance = one(plan, INSTANCE)
    wire = json_format.MessageToDict(instance.properties)
    assert wire["password"][SECRET_SIG] == "1b47061264138c4ac30d75fd1eb44270"
    assert wire["password"]["value"] == PASSWORD
    assert "manageMasterUserPassword" not in instance.inputs
    for resource in plan.resources:
        properties = json_format.MessageToDict(resource.properties)
        leaks = [path for path, text in _plain_strings(properties) if PASSWORD in text]
        assert leaks == [], f"{resource.name} shows the password at {leaks}"
    assert PASSWORD not in json.dumps([value for _, value in _plain_strings(plan.exports)])
    # The app tier reads it from a secret of the component, named (never shown) in the outputs.
    secret = plan.named("platform-db-credentials")
    assert plan.exports["dbSecretArn"] == secret.outputs["arn"]
    version = plan.named("platform-db-credentials-value")
    assert json_format.MessageToDict(version.properties)["secretString"][SECRET_SIG]


def test_a_bad_password_is_refused_without_being_shown():
    with pytest.raises(ProgramFailed) as failure:
        run_program("dev", secrets={"dbPassword": "has space@"})
    error = failure.value.__cause__
    assert isinstance(error, SettingsError)
    assert any("platform:dbPassword = [secret]" in problem for problem in error.problems)
    assert "has space@" not in str(error)
    assert failure.value.plan.resources == []


def test_prod_preview_still_plans_a_private_encrypted_instance(stack_plan):
    instance = one(stack_plan("prod", preview=True), INSTANCE)
    assert instance.inputs["publiclyAccessible"] is False
    assert instance.inputs["storageEncrypted"] is True


# --- the component alone -------------------------------------------------------------------

SUBNETS = ["subnet-a", "subnet-b"]
ZONES = ["us-east-1a", "us-east-1b"]


def database_args(**overrides) -> DatabaseArgs:
    base = dict(subnet_ids=SUBNETS, subnet_availability_zones=ZONES, security_group_ids=["sg-1"])
    return DatabaseArgs(**{**base, **overrides})


def test_engine_version_picks_the_parameter_group_family():
    plan = run_program("dev", program=lambda: Database("db", database_args(engine_version="8.4.3")))
    assert one(plan, PARAMETER_GROUP).inputs["family"] == "mysql8.4"
    assert one(plan, INSTANCE).inputs["engineVersion"] == "8.4.3"


def test_no_argument_can_make_the_database_public():
    assert "publicly_accessible" not in DatabaseArgs.__dataclass_fields__
    with pytest.raises(TypeError):
        DatabaseArgs(
            subnet_ids=SUBNETS,
            subnet_availability_zones=ZONES,
            security_group_ids=["sg"],
            publicly_accessible=True,
        )  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("overrides", "argument"),
    [
        (dict(subnet_availability_zones=["us-east-1a", "us-east-1a"]), "subnet_ids"),
        (dict(subnet_ids=["subnet-a"], subnet_availability_zones=["us-east-1a"]), "subnet_ids"),
        (dict(subnet_availability_zones=["us-east-1a"]), "subnet_availability_zones"),
        (dict(security_group_ids=[]), "security_group_ids"),
        (dict(backup_retention_days=0, multi_az=True), "backup_retention_days"),
        (dict(backup_retention_days=36), "backup_retention_days"),
        (dict(engine_version="5.7"), "engine_version"),
        (dict(engine_version="8"), "engine_version"),
        (dict(instance_class="t3.micro"), "instance_class"),
        (dict(allocated_storage_gb=10), "allocated_storage_gb"),
        (dict(max_allocated_storage_gb=20), "max_allocated_storage_gb"),
        (dict(db_name="word-press"), "db_name"),
        (dict(username="rdsadmin"), "username"),
        (dict(port=80), "port"),
    ],
)
def test_invalid_args_raise_naming_the_argument_before_anything_is_registered(overrides, argument):
    with pytest.raises(ProgramFailed) as failure:
        run_program("dev", program=lambda: Database("db", database_args(**overrides)))
    error = failure.value.__cause__
    assert isinstance(error, ValueError)
    assert str(error).startswith(f"{argument}:"), error
    assert failure.value.plan.resources == []
