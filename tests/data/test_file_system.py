"""FileSystem under the mocks: encrypted EFS, one mount target per private subnet, NFS from app only."""

from __future__ import annotations

import pytest

from components.data.file_system import MOUNT_OPTIONS, FileSystem, FileSystemArgs
from tests.support.topology import Topology
from tools.offline import Plan, PlannedResource, ProgramFailed, run_program

FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
MOUNT_TARGET = "aws:efs/mountTarget:MountTarget"
ACCESS_POINT = "aws:efs/accessPoint:AccessPoint"
BACKUP_POLICY = "aws:efs/backupPolicy:BackupPolicy"
NOTES_OPTIONS = ("nfsvers=4.1", "rsize=1048576", "wsize=1048576", "timeo=600", "retrans=2")


def one(plan: Plan, resource_type: str) -> PlannedResource:
    (resource,) = plan.of_type(resource_type)
    return resource


@pytest.mark.parametrize(("stack", "zones"), [("dev", 2), ("prod", 3)])
def test_encrypted_efs_with_one_mount_target_in_every_private_subnet(stack_plan, stack, zones):
    plan = stack_plan(stack)
    topology = Topology(plan)
    efs = one(plan, FILE_SYSTEM)
    assert efs.inputs["encrypted"] is True
    targets = plan.of_type(MOUNT_TARGET)
    private = [subnet.id for subnet in topology.subnets("private")]
    assert len(private) == zones
    assert sorted(target.inputs["subnetId"] for target in targets) == sorted(private)
    group = topology.security_group("file-system")
    for target in targets:
        assert target.inputs["fileSystemId"] == efs.id
        assert target.inputs["securityGroups"] == [group.id]
    assert topology.rules(group) == [{"protocol": "tcp", "ports": (2049, 2049), "peer": "app"}]


def test_backups_lifecycle_and_modes(stack_plan):
    plan = stack_plan("dev")
    efs = one(plan, FILE_SYSTEM)
    backup = one(plan, BACKUP_POLICY)
    assert backup.inputs["fileSystemId"] == efs.id
    assert backup.inputs["backupPolicy"] == {"status": "ENABLED"}
    assert {"transitionToIa": "AFTER_30_DAYS"} in efs.inputs["lifecyclePolicies"]
    assert {"transitionToPrimaryStorageClass": "AFTER_1_ACCESS"} in efs.inputs["lifecyclePolicies"]
    assert efs.inputs["performanceMode"] == "generalPurpose"
    assert efs.inputs["throughputMode"] == "elastic"


def test_the_access_point_pins_a_posix_user_and_root_directory(stack_plan):
    plan = stack_plan("dev")
    point = one(plan, ACCESS_POINT)
    assert point.inputs["fileSystemId"] == one(plan, FILE_SYSTEM).id
    assert point.inputs["posixUser"] == {"uid": 1000, "gid": 1000}
    assert point.inputs["rootDirectory"] == {
        "path": "/shared",
        "creationInfo": {"ownerUid": 1000, "ownerGid": 1000, "permissions": "0750"},
    }


def test_the_stack_exports_an_fstab_line_with_the_notes_mount_options(stack_plan):
    plan = stack_plan("dev")
    efs = one(plan, FILE_SYSTEM)
    line = plan.exports["fileSystemFstabLine"]
    device, mount_point, kind, options, dump, passno = line.split(" ")
    assert device == f"{efs.outputs['dnsName']}:/"
    assert (mount_point, kind, dump, passno) == ("/data", "nfs4", "0", "0")
    assert set(NOTES_OPTIONS) <= set(options.split(","))
    assert options.startswith(MOUNT_OPTIONS)
    assert plan.exports["fileSystemDnsName"] == efs.outputs["dnsName"]


def test_settings_choose_the_modes():
    plan = run_program(
        "dev", config_overrides={"efsPerformanceMode": "maxIO", "efsThroughputMode": "bursting"}
    )
    efs = one(plan, FILE_SYSTEM)
    assert (efs.inputs["performanceMode"], efs.inputs["throughputMode"]) == ("maxIO", "bursting")


def file_system_args(**overrides) -> FileSystemArgs:
    return FileSystemArgs(
        **{"subnet_ids": ["subnet-a"], "security_group_ids": ["sg-1"], **overrides}
    )


def test_provisioned_throughput_is_passed_on():
    plan = run_program(
        "dev",
        program=lambda: FileSystem(
            "fs",
            file_system_args(throughput_mode="provisioned", provisioned_throughput_mibps=64),
        ),
    )
    assert one(plan, FILE_SYSTEM).inputs["provisionedThroughputInMibps"] == 64


@pytest.mark.parametrize(
    ("overrides", "argument"),
    [
        (dict(subnet_ids=[]), "subnet_ids"),
        (dict(security_group_ids=[]), "security_group_ids"),
        (dict(performance_mode="fast"), "performance_mode"),
        (dict(performance_mode="maxIO", throughput_mode="elastic"), "performance_mode"),
        (dict(throughput_mode="turbo"), "throughput_mode"),
        (dict(throughput_mode="provisioned"), "provisioned_throughput_mibps"),
        (dict(provisioned_throughput_mibps=10), "provisioned_throughput_mibps"),
        (dict(transition_to_ia="AFTER_2_DAYS"), "transition_to_ia"),
        (dict(posix_uid=0), "posix_uid"),
        (dict(posix_gid=-1), "posix_gid"),
        (dict(root_directory="shared"), "root_directory"),
        (dict(root_directory="/"), "root_directory"),
        (dict(mount_point="data"), "mount_point"),
        (dict(root_permissions="0999"), "root_permissions"),
    ],
)
def test_invalid_args_raise_naming_the_argument_before_anything_is_registered(overrides, argument):
    with pytest.raises(ProgramFailed) as failure:
        run_program("dev", program=lambda: FileSystem("fs", file_system_args(**overrides)))
    error = failure.value.__cause__
    assert isinstance(error, ValueError)
    assert str(error).startswith(f"{argument}:"), error
    assert failure.value.plan.resources == []
