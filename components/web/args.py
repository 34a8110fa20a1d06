"""Inputs of `WebTier`: its Args, with how they are wired to the tiers the site runs on."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import pulumi
import pulumi_aws as aws

from components.web.parts import (
    Architecture,
    check_certificate_arn,
    check_health_check_path,
    check_instance_type,
    check_sha1,
    check_wordpress_version,
)
from components.web.wiring import (
    WebAlerts,
    WebDatabase,
    WebFileSystem,
    WebLogBucket,
    WebMediaBucket,
    WebNetwork,
)

MAX_GROUP_SIZE = 100
# A grant a resource's owner writes for the node's role (EncryptedBucket.grant_read, ...).
RoleGrant = Callable[[aws.iam.Role], object]


@dataclass(frozen=True)
class WebTierArgs:
    """Inputs of `WebTier`. Secure by default: no public IP, IMDSv2, encrypted volumes.

    - the wiring fields (ids of the network's, database's and file system's resources, the log
      bucket's `access_logs`, the media bucket's `instance_role_grants`, `alarm_topic_arn`) are
      empty in the stack settings; `wired(...)` fills them from the components.
    - `instance_type` (`t4g.small`, Graviton) and `architecture` (`arm64`) must agree.
    - `min_size` (1) <= `desired_capacity` (1) <= `max_size` (2).
    - `certificate_arn`: an ACM certificate of the stack's region; None = HTTP only.
    - `health_check_path` (`/healthy.html`), `health_check_interval_seconds` (15),
      `healthy_threshold` (2), `unhealthy_threshold` (3), `health_check_matcher` (`200`).
    - `deregistration_delay_seconds` (30), `stickiness` (off), `grace_period_seconds` (300).
    - `requests_per_target` (1000 a minute): target tracking's target.
    - `wordpress_version` / `wordpress_sha1`: the pinned release and its published sha1.
    - `deletion_protection` (prod on), `detailed_monitoring`, `root_volume_gb` (20 GiB gp3).
    """

    vpc_id: pulumi.Input[str] = ""
    public_subnet_ids: Sequence[pulumi.Input[str]] = ()
    private_subnet_ids: Sequence[pulumi.Input[str]] = ()
    load_balancer_security_group_ids: Sequence[pulumi.Input[str]] = ()
    app_security_group_ids: Sequence[pulumi.Input[str]] = ()
    db_secret_arn: pulumi.Input[str] = ""
    db_host: pulumi.Input[str] = ""
    db_port: pulumi.Input[int] = 3306
    db_name: pulumi.Input[str] = ""
    file_system_id: pulumi.Input[str] = ""
    file_system_arn: pulumi.Input[str] = ""
    access_point_id: pulumi.Input[str] = ""
    access_point_arn: pulumi.Input[str] = ""
    access_logs: aws.lb.LoadBalancerAccessLogsArgs | None = None
    instance_role_grants: Sequence[RoleGrant] = ()
    alarm_topic_arn: pulumi.Input[str] | None = None
    instance_type: str = "t4g.small"
    architecture: Architecture = "arm64"
    min_size: int = 1
    desired_capacity: int = 1
    max_size: int = 2
    certificate_arn: str | None = None
    health_check_path: str = "/healthy.html"
    health_check_interval_seconds: int = 15
    healthy_threshold: int = 2
    unhealthy_threshold: int = 3
    health_check_matcher: str = "200"
    deregistration_delay_seconds: int = 30
    stickiness: bool = False
    grace_period_seconds: int = 300
    requests_per_target: int = 1000
    wordpress_version: str = "7.1"
    # Published at https://wordpress.org/wordpress-7.1.tar.gz.sha1
    wordpress_sha1: str = "e0ca593bc062f7a8c5a956ca44aff7375b0841e0"
    deletion_protection: bool = False
    detailed_monitoring: bool = False
    root_volume_gb: int = 20
    tags: dict[str, str] = field(default_factory=dict)

    def validate(self) -> None:
        """Raise ValueError naming the argument when the Args are invalid or contradictory."""
        for argument in ("public_subnet_ids", "private_subnet_ids"):
            if len(getattr(self, argument)) < 2:
                raise ValueError(f"{argument}: the web tier spans at least 2 AZs")
        for argument in ("load_balancer_security_group_ids", "app_security_group_ids"):
            if not getattr(self, argument):
                raise ValueError(f"{argument}: the web tier needs its security group")
        checks = {
            "instance_type": check_instance_type(self.instance_type, self.architecture),
            "health_check_path": check_health_check_path(self.health_check_path),
            "wordpress_version": check_wordpress_version(self.wordpress_version),
            "wordpress_sha1": check_sha1(self.wordpress_sha1),
            "certificate_arn": (
                check_certificate_arn(self.certificate_arn) if self.certificate_arn else None
            ),
        }
        for argument, reason in checks.items():
            if reason is not None:
                raise ValueError(f"{argument}: {getattr(self, argument)!r} {reason}")
        if not 1 <= self.min_size <= self.max_size <= MAX_GROUP_SIZE:
            raise ValueError(
                f"min_size: {self.min_size} must be at least 1 and at most max_size "
                f"({self.max_size}, itself at most {MAX_GROUP_SIZE})"
            )
        if not self.min_size <= self.desired_capacity <= self.max_size:
            raise ValueError(
                f"desired_capacity: {self.desired_capacity} must lie between min_size "
                f"({self.min_size}) and max_size ({self.max_size})"
            )
        ranges = {
            "health_check_interval_seconds": (5, 300),
            "deregistration_delay_seconds": (0, 3600),
            "grace_period_seconds": (0, 7200),
        }
        for argument, (low, high) in ranges.items():
            if not low <= getattr(self, argument) <= high:
                raise ValueError(f"{argument}: {getattr(self, argument)} must be {low} to {high}")

    @property
    def https(self) -> bool:
        return self.certificate_arn is not None

    def wired(
        self,
        network: WebNetwork,
        database: WebDatabase,
        file_system: WebFileSystem,
        media_bucket: WebMediaBucket,
        log_bucket: WebLogBucket,
        alerts: WebAlerts,
    ) -> WebTierArgs:
        """These Args, wired to the tiers the site runs on (each named by what it offers)."""
        return replace(
            self,
            vpc_id=network.vpc_id,
            public_subnet_ids=network.public_subnet_ids,
            private_subnet_ids=network.private_subnet_ids,
            load_balancer_security_group_ids=[network.load_balancer_security_group_id],
            app_security_group_ids=[network.app_security_group_id],
            db_secret_arn=database.secret_arn,
            db_host=database.address,
            db_port=database.port,
            db_name=database.db_name,
            file_system_id=file_system.file_system_id,
            file_system_arn=file_system.arn,
            access_point_id=file_system.access_point_id,
            access_point_arn=file_system.access_point_arn,
            access_logs=log_bucket.load_balancer_access_logs(),
            instance_role_grants=(media_bucket.grant_read, media_bucket.grant_write),
            alarm_topic_arn=alerts.topic_arn,
        )
