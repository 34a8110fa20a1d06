"""VPC flow logs to CloudWatch Logs: the log group, the role the flow-logs service assumes
(this account's flow logs only) and the flow log itself."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from components.common.iam import service_role
from components.common.logs import retained_log_group
from components.common.owner import Owner

FLOW_LOGS_SERVICE = "vpc-flow-logs.amazonaws.com"
# What the service does in the log group (AWS VPC User Guide, "IAM role for publishing flow
# logs to CloudWatch Logs").
LOG_GROUP_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams")
# logs:DescribeLogGroups supports no resource-level permissions (Service Authorization
# Reference, CloudWatch Logs), so it is granted on "*", in a statement of its own.
ACCOUNT_WIDE_ACTIONS = ("logs:DescribeLogGroups",)


def vpc_flow_log(
    name: str,
    vpc_id: pulumi.Input[str],
    *,
    region: str,
    retention_days: int,
    traffic_type: str,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.cloudwatch.LogGroup:
    """`<name>-flow-logs` (group and role), `<name>-flow-logs-write`, `<name>-flow-log`."""
    owner = Owner(parent, tags)
    log_group = retained_log_group(f"{name}-flow-logs", owner, retention_days=retention_days)
    account_id = aws.get_caller_identity().account_id
    role = service_role(
        f"{name}-flow-logs-role",
        owner,
        FLOW_LOGS_SERVICE,
        conditions={
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:{region}:{account_id}:vpc-flow-log/*"},
        },
    )
    aws.iam.RolePolicy(
        f"{name}-flow-logs-write",
        role=role.id,
        policy=pulumi.Output.json_dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "WriteFlowLogsToThisGroupOnly",
                        "Effect": "Allow",
                        "Action": list(LOG_GROUP_ACTIONS),
                        "Resource": [log_group.arn, pulumi.Output.concat(log_group.arn, ":*")],
                    },
                    {
                        "Sid": "FindTheLogGroup",
                        "Effect": "Allow",
                        "Action": list(ACCOUNT_WIDE_ACTIONS),
                        "Resource": "*",
                    },
                ],
            }
        ),
        opts=owner.opts,
    )
    aws.ec2.FlowLog(
        f"{name}-flow-log",
        vpc_id=vpc_id,
        traffic_type=traffic_type,
        log_destination_type="cloud-watch-logs",
        log_destination=log_group.arn,
        iam_role_arn=role.arn,
        max_aggregation_interval=60,
        tags=owner.tags_for(f"{name}-flow-log"),
        opts=owner.opts,
    )
    return log_group
