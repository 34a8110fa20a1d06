"""CloudWatch log groups: every one keeps its logs for the stack's retention and is tagged."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from components.common.tags import named_tags


def retained_log_group(
    resource_name: str,
    *,
    retention_days: int,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    name: str | None = None,
) -> aws.cloudwatch.LogGroup:
    """The log group `name` (None: named by the provider), keeping logs `retention_days`."""
    return aws.cloudwatch.LogGroup(
        resource_name,
        name=name,
        retention_in_days=retention_days,
        tags=named_tags(tags, resource_name),
        opts=pulumi.ResourceOptions(parent=parent),
    )
