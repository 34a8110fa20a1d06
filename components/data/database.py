"""`Database`: the private, encrypted RDS MySQL of the notes' WordPress design.

The notes' own lesson (seed 002, lesson 10): "not exposing the DB publicly and using tight
security groups ... the RDS instance should use a private subnet". So the instance sits in a DB
subnet group of private subnets only, behind the network's database security group (MySQL only
from the app tier), and `publicly_accessible` is always false: no argument can change it.

Storage is encrypted gp3; automated backups are always on; a parameter group requires TLS and
turns the slow-query log on; error and slow-query logs go to CloudWatch. The master password is
managed by RDS in Secrets Manager unless a Pulumi secret is given, which the component then keeps
in a secret of its own; either way `secret_arn` names the secret the app tier reads at boot.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Annotated

import pulumi
import pulumi_aws as aws

from components.common.outputs import Export, register_declared_outputs
from components.common.shared import MYSQL_PORT, PrivateNetwork

# RDS for MySQL major versions this project supports, with the parameter group family of each.
# 8.4 is the default: RDS standard support of 8.0 ended on 2026-07-31 (later 8.0 instances are
# billed for Extended Support), https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/MySQL.Concepts.VersionMgmt.html
MYSQL_FAMILIES = {"8.4": "mysql8.4", "8.0": "mysql8.0"}
MIN_BACKUP_RETENTION_DAYS = 1
MAX_BACKUP_RETENTION_DAYS = 35  # the most RDS keeps automated backups
# gp3 storage for RDS for MySQL: 20 GiB to 64 TiB.
MIN_DB_STORAGE_GB = 20
MAX_DB_STORAGE_GB = 65536
_ENGINE_VERSION = re.compile(r"^(\d+\.\d+)(\.\d+)?$")
_INSTANCE_CLASS = re.compile(r"^db\.[a-z0-9]+\.[a-z0-9]+$")
_DB_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_DB_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,15}$")

# RDS for MySQL can export error, general, slowquery, audit and iam-db-auth-error; the notes'
# operators need the first and the slow queries (general logs every statement: too costly).
CLOUDWATCH_LOG_EXPORTS = ("error", "slowquery")


def check_engine_version(version: str) -> str | None:
    match = _ENGINE_VERSION.match(version)
    if match is None or match.group(1) not in MYSQL_FAMILIES:
        return f"must be a MySQL version of a supported major ({', '.join(MYSQL_FAMILIES)}), like 8.4 or 8.4.6"
    return None


def mysql_family(version: str) -> str:
    """The DB parameter group family of a MySQL engine version (`8.0.40` -> `mysql8.0`)."""
    return MYSQL_FAMILIES[".".join(version.split(".")[:2])]


def check_instance_class(value: str) -> str | None:
    if _INSTANCE_CLASS.match(value):
        return None
    return "must be an RDS instance class like db.t3.micro"


def check_db_name(value: str) -> str | None:
    if _DB_NAME.match(value):
        return None
    return "must start with a letter and hold only letters, digits and _ (at most 64)"


def check_db_username(value: str) -> str | None:
    if not _DB_USERNAME.match(value):
        return "must start with a letter and hold only letters, digits and _ (at most 16)"
    if value.lower() == "rdsadmin":
        return "is reserved by RDS"
    return None


def check_db_password(value: str) -> str | None:
    """RDS for MySQL master passwords: 8 to 41 printable ASCII, without / " @ or spaces."""
    if not 8 <= len(value) <= 41:
        return "must be 8 to 41 characters long"
    if any(not 33 <= ord(char) <= 126 or char in '/"@' for char in value):
        return 'must be printable ASCII without /, ", @ or spaces'
    return None


@dataclass(frozen=True)
class DatabaseArgs:
    """Inputs of `Database`. Secure by default; there is deliberately no `publicly_accessible`.

    - `subnet_ids` / `subnet_availability_zones`: the private subnets of the DB subnet group
      and the AZ of each, same order; they must cover at least 2 AZs (RDS requires it).
    - `security_group_ids`: the database tier's groups (the network's database group).
    - `engine_version`: MySQL `8.4` (default; the major in RDS standard support) or `8.0`, or a
      full version like `8.4.6`.
    - `instance_class` (`db.t3.micro`), `allocated_storage_gb` (20, gp3, encrypted),
      `max_allocated_storage_gb` (storage autoscaling ceiling; None = off).
    - `db_name` (`wordpress`), `username` (`wpadmin`).
    - `password`: a Pulumi secret, kept in a Secrets Manager secret of the component; None
      (default) = RDS generates it and keeps it in Secrets Manager. Either way `secret_arn`
      names a secret with `username` and `password` that the app tier reads at boot.
    - `backup_retention_days`: 1 to 35, default 7. Backups cannot be switched off.
    - `multi_az`, `deletion_protection`, `final_snapshot`: off by default (dev), on in prod.
    - `kms_key_id`: a customer managed key for storage; None = the account's `aws/rds` key.
    """

    # Wired from the network (stack settings leave them empty).
    subnet_ids: Sequence[pulumi.Input[str]] = ()
    subnet_availability_zones: Sequence[str] = ()
    security_group_ids: Sequence[pulumi.Input[str]] = ()
    engine_version: str = "8.4"
    instance_class: str = "db.t3.micro"
    allocated_storage_gb: int = 20
    max_allocated_storage_gb: int | None = None
    db_name: str = "wordpress"
    username: str = "wpadmin"
    password: pulumi.Input[str] | None = None
    backup_retention_days: int = 7
    multi_az: bool = False
    deletion_protection: bool = False
    final_snapshot: bool = False
    kms_key_id: str | None = None
    port: int = MYSQL_PORT
    tags: dict[str, str] = field(default_factory=dict)

    def in_network(self, network: PrivateNetwork) -> DatabaseArgs:
        """These Args in the private subnets of `network`, behind its database group."""
        return replace(
            self,
            subnet_ids=network.private_subnet_ids,
            subnet_availability_zones=network.availability_zones,
            security_group_ids=[network.database_security_group_id],
        )

    def validate(self) -> None:
        """Raise ValueError naming the argument when the Args are invalid or contradictory."""
        if len(self.subnet_ids) != len(self.subnet_availability_zones):
            raise ValueError(
                f"subnet_availability_zones: {list(self.subnet_availability_zones)!r} must name "
                f"the AZ of each of the {len(self.subnet_ids)} subnets"
            )
        zones = sorted(set(self.subnet_availability_zones))
        if len(zones) < 2:
            raise ValueError(
                f"subnet_ids: the DB subnet group needs subnets in at least 2 AZs, got {zones!r}"
            )
        if not self.security_group_ids:
            raise ValueError("security_group_ids: the database needs its security group")
        self.validate_settings()

    def validate_settings(self) -> None:
        """The checks of the configured values alone (no wiring), which the settings run too."""
        checks = {
            "engine_version": check_engine_version(self.engine_version),
            "instance_class": check_instance_class(self.instance_class),
            "db_name": check_db_name(self.db_name),
            "username": check_db_username(self.username),
        }
        for argument, reason in checks.items():
            if reason is not None:
                raise ValueError(f"{argument}: {getattr(self, argument)!r} {reason}")
        if not MIN_DB_STORAGE_GB <= self.allocated_storage_gb <= MAX_DB_STORAGE_GB:
            raise ValueError(
                f"allocated_storage_gb: {self.allocated_storage_gb} must be between "
                f"{MIN_DB_STORAGE_GB} and {MAX_DB_STORAGE_GB} (gp3)"
            )
        if (
            self.max_allocated_storage_gb is not None
            and not self.allocated_storage_gb < self.max_allocated_storage_gb <= MAX_DB_STORAGE_GB
        ):
            raise ValueError(
                f"max_allocated_storage_gb: {self.max_allocated_storage_gb} must be above "
                f"allocated_storage_gb ({self.allocated_storage_gb}) and at most {MAX_DB_STORAGE_GB}"
            )
        if not MIN_BACKUP_RETENTION_DAYS <= self.backup_retention_days <= MAX_BACKUP_RETENTION_DAYS:
            why = " (a Multi-AZ database without backups)" if self.multi_az else ""
            raise ValueError(
                f"backup_retention_days: {self.backup_retention_days}{why} must be between "
                f"{MIN_BACKUP_RETENTION_DAYS} and {MAX_BACKUP_RETENTION_DAYS}; backups stay on"
            )
        if not 1150 <= self.port <= 65535:
            raise ValueError(f"port: {self.port} must be between 1150 and 65535")


class Database(pulumi.ComponentResource):
    """RDS MySQL in private subnets: never public, encrypted, backed up, TLS only."""

    address: Annotated[pulumi.Output[str], Export("dbAddress")]
    endpoint: Annotated[pulumi.Output[str], Export("dbEndpoint")]
    port: Annotated[pulumi.Output[int], Export("dbPort")]
    db_name: Annotated[pulumi.Output[str], Export("dbName")]
    username: Annotated[str, Export("dbUsername")]
    # Where the password is kept (an ARN, not the password).
    secret_arn: Annotated[pulumi.Output[str], Export("dbSecretArn")]
    instance_id: pulumi.Output[str]
    arn: pulumi.Output[str]
    subnet_group_name: pulumi.Output[str]
    parameter_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        args.validate()
        super().__init__("platform:database:Database", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = {**args.tags, "Name": name}

        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            subnet_ids=list(args.subnet_ids),
            description=f"{name}: private subnets only",
            tags=tags,
            opts=child,
        )
        parameter_group = aws.rds.ParameterGroup(
            f"{name}-params",
            family=mysql_family(args.engine_version),
            description=f"{name}: TLS required, slow query log on",
            parameters=[
                {"name": "require_secure_transport", "value": "ON"},
                {"name": "slow_query_log", "value": "1"},
                {"name": "long_query_time", "value": "2"},
                # RDS exports the slow query log to CloudWatch only when it is written to a file.
                {"name": "log_output", "value": "FILE"},
            ],
            tags=tags,
            opts=child,
        )
        password = pulumi.Output.secret(args.password) if args.password is not None else None
        self.instance = aws.rds.Instance(
            f"{name}-mysql",
            engine="mysql",
            engine_version=args.engine_version,
            auto_minor_version_upgrade=True,
            instance_class=args.instance_class,
            allocated_storage=args.allocated_storage_gb,
            max_allocated_storage=args.max_allocated_storage_gb,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=args.kms_key_id,
            db_name=args.db_name,
            username=args.username,
            password=password,
            manage_master_user_password=True if password is None else None,
            port=args.port,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=list(args.security_group_ids),
            publicly_accessible=False,
            parameter_group_name=parameter_group.name,
            enabled_cloudwatch_logs_exports=list(CLOUDWATCH_LOG_EXPORTS),
            backup_retention_period=args.backup_retention_days,
            copy_tags_to_snapshot=True,
            multi_az=args.multi_az,
            deletion_protection=args.deletion_protection,
            skip_final_snapshot=not args.final_snapshot,
            final_snapshot_identifier=f"{name}-final" if args.final_snapshot else None,
            tags=tags,
            opts=child,
        )

        self.address = self.instance.address
        self.endpoint = self.instance.endpoint
        self.port = self.instance.port
        self.db_name = self.instance.db_name
        self.username = args.username
        self.secret_arn = (
            self.instance.master_user_secrets.apply(
                lambda secrets: (secrets[0].secret_arn or "") if secrets else ""
            )
            if password is None
            else self._password_secret(name, args.username, password, tags)
        )
        self.instance_id = self.instance.identifier
        self.arn = self.instance.arn
        self.subnet_group_name = subnet_group.name
        self.parameter_group_name = parameter_group.name
        register_declared_outputs(self)

    def _password_secret(
        self, name: str, username: str, password: pulumi.Output[str], tags: dict[str, str]
    ) -> pulumi.Output[str]:
        """A password from config, kept like RDS keeps its own: `username` and `password`."""
        secret = aws.secretsmanager.Secret(
            f"{name}-credentials",
            description=f"{name}: master user credentials (from the stack's dbPassword)",
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-credentials-value",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(password).apply(
                lambda value: json.dumps({"username": username, "password": value})
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return secret.arn
