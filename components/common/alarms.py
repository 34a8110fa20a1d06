"""CloudWatch alarms on one metric crossing a threshold: the queues', streams' and functions'."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.common.owner import Owner


@dataclass(frozen=True)
class Metric:
    """A CloudWatch metric of one resource, and the statistic an alarm on it watches."""

    namespace: str
    name: str
    dimensions: Mapping[str, pulumi.Input[str]]
    statistic: str = "Maximum"


def threshold_alarm(
    resource_name: str,
    owner: Owner,
    metric: Metric,
    *,
    threshold: float,
    description: str,
    period_seconds: int = 300,
    topic_arn: pulumi.Input[str] | None = None,
) -> aws.cloudwatch.MetricAlarm:
    """An alarm when `metric` reaches `threshold` in one period (missing data is fine),
    notifying `topic_arn` on alarm and on recovery when given."""
    actions = [topic_arn] if topic_arn is not None else None
    return aws.cloudwatch.MetricAlarm(
        resource_name,
        alarm_description=description,
        namespace=metric.namespace,
        metric_name=metric.name,
        dimensions=dict(metric.dimensions),
        statistic=metric.statistic,
        period=period_seconds,
        evaluation_periods=1,
        threshold=threshold,
        comparison_operator="GreaterThanOrEqualToThreshold",
        treat_missing_data="notBreaching",
        alarm_actions=actions,
        ok_actions=actions,
        tags=owner.tags_for(resource_name),
        opts=owner.opts,
    )
