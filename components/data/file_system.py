"""`FileSystem`: the encrypted EFS of the notes (seed 002, lessons 8 to 10), shared by the app tier.

Encrypted at rest; performance and throughput modes configurable; files move to Infrequent
Access after 30 days unused and back on first access; AWS Backup's automatic daily backups on;
one mount target in every private subnet, behind the network's file-system security group (NFS
only from the app tier); an access point that pins a POSIX user and a root directory.

Outputs include the mount options the notes recommend (nfsvers=4.1, rsize=1048576,
wsize=1048576, timeo=600, retrans=2, plus AWS's hard and noresvport) as a ready fstab line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Annotated, Any

import pulumi
import pulumi_aws as aws

from components.common.outputs import Export, register_declared_outputs
from components.common.shared import PrivateNetwork, check_one_of

EFS_PERFORMANCE_MODES = ("generalPurpose", "maxIO")
EFS_THROUGHPUT_MODES = ("bursting", "elastic", "provisioned")
# The notes' recommended NFS options, then AWS's: hard mounts and a new source port on reconnect.
MOUNT_OPTIONS = "nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport"
IA_TRANSITIONS = (
    "AFTER_1_DAY", "AFTER_7_DAYS", "AFTER_14_DAYS", "AFTER_30_DAYS", "AFTER_60_DAYS",
    "AFTER_90_DAYS", "AFTER_180_DAYS", "AFTER_270_DAYS", "AFTER_365_DAYS",
)  # fmt: skip
_ABSOLUTE_PATH = re.compile(r"^/([A-Za-z0-9._-]+/?)*$")
_PERMISSIONS = re.compile(r"^0?[0-7]{3}$")


@dataclass(frozen=True)
class FileSystemArgs:
    """Inputs of `FileSystem`. Secure by default: encrypted, backed up, NFS from the app tier only.

    - `subnet_ids`: the private subnets; one mount target in each.
    - `security_group_ids`: the file-system tier's groups (the network's file-system group).
    - `performance_mode`: `generalPurpose` (default) or `maxIO` (not with `elastic` throughput).
    - `throughput_mode`: `elastic` (default), `bursting` or `provisioned` (needs
      `provisioned_throughput_mibps`).
    - `transition_to_ia`: when unused files move to Infrequent Access (`AFTER_30_DAYS`).
    - `posix_uid`, `posix_gid` (1000), `root_directory` (`/shared`), `root_permissions` (`0750`):
      the access point's fixed user and the directory it exposes as `/`.
    - `mount_point`: where the fstab line mounts the file system (`/data`, as in the notes).
    - `kms_key_id`: a customer managed key; None = the account's `aws/elasticfilesystem` key.
    """

    # Wired from the network (stack settings leave them empty).
    subnet_ids: Sequence[pulumi.Input[str]] = ()
    security_group_ids: Sequence[pulumi.Input[str]] = ()
    performance_mode: str = "generalPurpose"
    throughput_mode: str = "elastic"
    provisioned_throughput_mibps: float | None = None
    transition_to_ia: str = "AFTER_30_DAYS"
    posix_uid: int = 1000
    posix_gid: int = 1000
    root_directory: str = "/shared"
    root_permissions: str = "0750"
    mount_point: str = "/data"
    kms_key_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def in_network(self, network: PrivateNetwork) -> FileSystemArgs:
        """These Args in the private subnets of `network`, behind its file-system group."""
        return replace(
            self,
            subnet_ids=network.private_subnet_ids,
            security_group_ids=[network.file_system_security_group_id],
        )

    def validate(self) -> None:
        """Raise ValueError naming the argument when the Args are invalid or contradictory."""
        if not self.subnet_ids:
            raise ValueError("subnet_ids: the file system needs at least one private subnet")
        if not self.security_group_ids:
            raise ValueError("security_group_ids: the mount targets need their security group")
        check_one_of("performance_mode", self.performance_mode, EFS_PERFORMANCE_MODES)
        check_one_of("throughput_mode", self.throughput_mode, EFS_THROUGHPUT_MODES)
        if self.performance_mode == "maxIO" and self.throughput_mode == "elastic":
            raise ValueError(
                "performance_mode: 'maxIO' is not available with throughput_mode 'elastic'"
            )
        provisioned = self.throughput_mode == "provisioned"
        if provisioned != (self.provisioned_throughput_mibps is not None):
            raise ValueError(
                f"provisioned_throughput_mibps: {self.provisioned_throughput_mibps!r} must be "
                "given exactly when throughput_mode is 'provisioned'"
            )
        if provisioned and not 1 <= (self.provisioned_throughput_mibps or 0) <= 3414:
            raise ValueError(
                f"provisioned_throughput_mibps: {self.provisioned_throughput_mibps} must be "
                "between 1 and 3414"
            )
        check_one_of("transition_to_ia", self.transition_to_ia, IA_TRANSITIONS)
        for argument in ("posix_uid", "posix_gid"):
            value = getattr(self, argument)
            if not 0 <= value <= 4294967295:
                raise ValueError(f"{argument}: {value} is not a POSIX id")
        if self.posix_uid == 0:
            raise ValueError("posix_uid: 0 would let every client act as root on the share")
        for argument in ("root_directory", "mount_point"):
            value = getattr(self, argument)
            if not _ABSOLUTE_PATH.match(value) or value == "/" and argument == "root_directory":
                raise ValueError(f"{argument}: {value!r} must be an absolute directory path")
        if not _PERMISSIONS.match(self.root_permissions):
            raise ValueError(f"root_permissions: {self.root_permissions!r} must be octal like 0750")


def file_system_policy_document(file_system_arn: str, access_point_arn: str) -> dict[str, Any]:
    """Deny every NFS client that does not use TLS, or does not come through the access point.

    EFS evaluates aws:SecureTransport and elasticfilesystem:AccessPointArn on mounts:
    https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html
    """
    actions = [
        "elasticfilesystem:ClientMount",
        "elasticfilesystem:ClientWrite",
        "elasticfilesystem:ClientRootAccess",
    ]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyWithoutTls",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "*",
                "Resource": file_system_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "DenyOutsideTheAccessPoint",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": actions,
                "Resource": file_system_arn,
                "Condition": {
                    "StringNotEquals": {"elasticfilesystem:AccessPointArn": access_point_arn}
                },
            },
        ],
    }


class FileSystem(pulumi.ComponentResource):
    """EFS, encrypted and backed up, mounted in every private subnet, with an access point."""

    file_system_id: Annotated[pulumi.Output[str], Export("fileSystemId")]
    arn: pulumi.Output[str]
    dns_name: Annotated[pulumi.Output[str], Export("fileSystemDnsName")]
    mount_target_ids: list[pulumi.Output[str]]
    access_point_id: Annotated[pulumi.Output[str], Export("fileSystemAccessPointId")]
    access_point_arn: pulumi.Output[str]
    mount_options: str
    fstab_line: Annotated[pulumi.Output[str], Export("fileSystemFstabLine")]
    access_point_fstab_line: pulumi.Output[str]

    def __init__(self, name: str, args: FileSystemArgs, opts: pulumi.ResourceOptions | None = None):
        args.validate()
        super().__init__("platform:file_system:FileSystem", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = {**args.tags, "Name": name}

        self.file_system = aws.efs.FileSystem(
            f"{name}-efs",
            encrypted=True,
            kms_key_id=args.kms_key_id,
            performance_mode=args.performance_mode,
            throughput_mode=args.throughput_mode,
            provisioned_throughput_in_mibps=args.provisioned_throughput_mibps,
            lifecycle_policies=[
                {"transition_to_ia": args.transition_to_ia},
                {"transition_to_primary_storage_class": "AFTER_1_ACCESS"},
            ],
            tags=tags,
            opts=child,
        )
        file_system_id = self.file_system.id
        aws.efs.BackupPolicy(
            f"{name}-backup",
            file_system_id=file_system_id,
            backup_policy={"status": "ENABLED"},
            opts=child,
        )
        self.mount_targets = [
            aws.efs.MountTarget(
                f"{name}-mount-{index + 1}",
                file_system_id=file_system_id,
                subnet_id=subnet_id,
                security_groups=list(args.security_group_ids),
                opts=child,
            )
            for index, subnet_id in enumerate(args.subnet_ids)
        ]
        permissions = args.root_permissions.rjust(4, "0")
        self.access_point = aws.efs.AccessPoint(
            f"{name}-access-point",
            file_system_id=file_system_id,
            posix_user={"uid": args.posix_uid, "gid": args.posix_gid},
            root_directory={
                "path": args.root_directory,
                "creation_info": {
                    "owner_uid": args.posix_uid,
                    "owner_gid": args.posix_gid,
                    "permissions": permissions,
                },
            },
            tags=tags,
            opts=child,
        )

        # With a policy in place, EFS admits only clients that IAM allows (the app tier's role),
        # and this one refuses any client that does not mount with TLS through the access point.
        aws.efs.FileSystemPolicy(
            f"{name}-policy",
            file_system_id=file_system_id,
            policy=pulumi.Output.all(self.file_system.arn, self.access_point.arn).apply(
                lambda arns: json.dumps(file_system_policy_document(arns[0], arns[1]))
            ),
            opts=child,
        )

        self.file_system_id = file_system_id
        self.arn = self.file_system.arn
        self.dns_name = self.file_system.dns_name
        self.mount_target_ids = [target.id for target in self.mount_targets]
        self.access_point_id = self.access_point.id
        self.access_point_arn = self.access_point.arn
        self.mount_options = MOUNT_OPTIONS
        # Plain NFS client (nfs-utils): the notes' fstab entry for the file system's root.
        self.fstab_line = pulumi.Output.concat(
            self.dns_name, ":/ ", args.mount_point, " nfs4 ", MOUNT_OPTIONS, ",_netdev 0 0"
        )
        # amazon-efs-utils: through the access point, encrypted in transit, as the IAM role.
        self.access_point_fstab_line = pulumi.Output.concat(
            file_system_id,
            ":/ ",
            args.mount_point,
            " efs _netdev,tls,iam,accesspoint=",
            self.access_point_id,
            " 0 0",
        )
        register_declared_outputs(self)
