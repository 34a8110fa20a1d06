"""The web tier's alarms: target 5xx answers, unhealthy nodes, slow answers (AWS/ApplicationELB)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.common.tags import named_tags

# role: (metric, statistic, threshold, dimension set, what is counted)
ALARMS = {
    "target-5xx": ("HTTPCode_Target_5XX_Count", "Sum", 10, "load balancer", "5xx answers a minute"),
    "unhealthy-hosts": ("UnHealthyHostCount", "Maximum", 0, "target group", "unhealthy nodes"),
    "response-time": ("TargetResponseTime", "Average", 2, "load balancer", "seconds per answer"),
}
PERIOD_SECONDS = 60
EVALUATION_PERIODS = 5


def web_alarms(
    name: str,
    *,
    load_balancer_suffix: pulumi.Input[str],
    target_group_suffix: pulumi.Input[str],
    topic_arn: pulumi.Input[str] | None,
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> list[aws.cloudwatch.MetricAlarm]:
    """One alarm per entry of ALARMS, alerting `topic_arn` (if any) when it fires and clears."""
    actions = [topic_arn] if topic_arn is not None else []
    load_balancer = {"LoadBalancer": load_balancer_suffix}
    dimension_sets = {
        "load balancer": load_balancer,
        "target group": {**load_balancer, "TargetGroup": target_group_suffix},
    }
    return [
        aws.cloudwatch.MetricAlarm(
            f"{name}-{role}",
            alarm_description=f"{name}: {meaning} above {threshold} for "
            f"{EVALUATION_PERIODS} minutes",
            namespace="AWS/ApplicationELB",
            metric_name=metric,
            statistic=statistic,
            dimensions=dimension_sets[dimensions],
            period=PERIOD_SECONDS,
            evaluation_periods=EVALUATION_PERIODS,
            threshold=threshold,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=actions,
            ok_actions=actions,
            tags=named_tags(tags, f"{name}-{role}"),
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for role, (metric, statistic, threshold, dimensions, meaning) in ALARMS.items()
    ]
