"""CloudWatch log groups: every one keeps its logs for the stack's retention and is tagged."""

from __future__ import annotations

import pulumi_aws as aws

from components.common.owner import Owner


def retained_log_group(
    resource_name: str, owner: Owner, *, retention_days: int, name: str | None = None
) -> aws.cloudwatch.LogGroup:
    """The log group `name` (None: named by the provider), keeping logs `retention_days`."""
    return aws.cloudwatch.LogGroup(
        resource_name,
        name=name,
        retention_in_days=retention_days,
        tags=owner.tags_for(resource_name),
        opts=owner.opts,
    )
