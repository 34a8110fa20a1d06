"""What the web tier needs of the other components, by shape: `WebTierArgs.wired` takes any
objects that offer these attributes (the Network, Database, FileSystem, EncryptedBucket and
UptimeMonitor components do), so no component module imports another."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import pulumi
import pulumi_aws as aws


class WebNetwork(Protocol):
    @property
    def vpc_id(self) -> pulumi.Output[str]: ...
    @property
    def public_subnet_ids(self) -> Sequence[pulumi.Output[str]]: ...
    @property
    def private_subnet_ids(self) -> Sequence[pulumi.Output[str]]: ...
    @property
    def load_balancer_security_group_id(self) -> pulumi.Output[str]: ...
    @property
    def app_security_group_id(self) -> pulumi.Output[str]: ...


class WebDatabase(Protocol):
    @property
    def secret_arn(self) -> pulumi.Output[str]: ...
    @property
    def address(self) -> pulumi.Output[str]: ...
    @property
    def port(self) -> pulumi.Output[int]: ...
    @property
    def db_name(self) -> pulumi.Output[str]: ...


class WebFileSystem(Protocol):
    @property
    def file_system_id(self) -> pulumi.Output[str]: ...
    @property
    def arn(self) -> pulumi.Output[str]: ...
    @property
    def access_point_id(self) -> pulumi.Output[str]: ...
    @property
    def access_point_arn(self) -> pulumi.Output[str]: ...


class WebMediaBucket(Protocol):
    def grant_read(self, role: aws.iam.Role) -> object: ...
    def grant_write(self, role: aws.iam.Role) -> object: ...


class WebLogBucket(Protocol):
    def load_balancer_access_logs(self) -> aws.lb.LoadBalancerAccessLogsArgs: ...


class WebAlerts(Protocol):
    @property
    def topic_arn(self) -> pulumi.Output[str]: ...
