"""Log deliveries: S3 server access logs and load balancer logs into the log bucket, CloudFront
standard logging and WAF into CloudWatch Logs, VPC flow logs through their role.

- S3 server access logging (logging.s3.amazonaws.com, aws:SourceArn = the source bucket,
  aws:SourceAccount): https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
- ELB access logs (the Region's ELB account, or the log delivery service principal):
  https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
- Vended logs into CloudWatch Logs (delivery.logs.amazonaws.com, the log group's resource policy,
  aws:SourceAccount and aws:SourceArn): https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-CWL.html
  and, for CloudFront standard logging (v2), https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-V2-CloudWatchLogs.html
- WAF logs in CloudWatch Logs: https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html
- Flow logs' role (trust with aws:SourceAccount and aws:SourceArn):
  https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html
"""

from __future__ import annotations

from dataclasses import dataclass

from components.data.bucket_policies import ELB_ACCOUNT_IDS, ELB_LOG_DELIVERY_SERVICE
from tools.iam_judge import Document
from tools.permission_paths import aws_side
from tools.permission_paths.model import OUTSIDE_ACCOUNT, Path, Role, other_arn, tls
from tools.permission_paths.plan_index import PlanIndex
from tools.permission_paths.resource_types import (
    BUCKET_LOGGING,
    DELIVERY_DESTINATION,
    DELIVERY_SOURCE,
    FLOW_LOG,
    LOAD_BALANCER,
    WAF_LOGGING,
)

S3_LOGGING_DOC = (
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html"
)
ELB_LOGS_DOC = (
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html"
)
VENDED_LOGS_DOC = (
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-CWL.html"
)
VENDED_LOGS_V2_DOC = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-V2-CloudWatchLogs.html"
WAF_LOGS_DOC = "https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html"
FLOW_LOGS_DOC = "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html"
LOG_DELIVERY_SERVICE = "logging.s3.amazonaws.com"
VENDED_LOGS_SERVICE = "delivery.logs.amazonaws.com"


def server_access_log_paths(ix: PlanIndex) -> list[Path]:
    paths = []
    for logging in ix.of_type(BUCKET_LOGGING):
        target = ix.bucket_by_name(logging.inputs["targetBucket"])
        source = ix.bucket_by_name(logging.inputs["bucket"])
        key = f"{logging.inputs['targetPrefix']}2026-12-06-07-00-00-0123456789ABCDEF"
        path = Path(
            kind="s3-server-access-logs",
            title=f"S3 delivers the access logs of {source.name} to the log bucket",
            caller=LOG_DELIVERY_SERVICE,
            actions=("s3:PutObject",),
            resource=f"{target.arn}/{key}",
            account_id=ix.account,
            context=tls(
                **{
                    "aws:SourceArn": source.arn,
                    "aws:SourceAccount": ix.account,
                    "aws:PrincipalServiceName": LOG_DELIVERY_SERVICE,
                }
            ),
            resource_policy=target.policy,
            block_public_access=target.blocks_public_access,
            docs=(S3_LOGGING_DOC,),
            note="no encryption header: log delivery relies on the bucket's SSE-S3 default",
        )
        paths.append(
            path.with_twins(
                path.twin_context("another source bucket", source_arn="arn:aws:s3:::someone-else"),
                path.twin_context("another account", source_account=OUTSIDE_ACCOUNT),
                path.twin_context("no TLS", secure_transport="false"),
            )
        )
    return paths


def load_balancer_log_paths(ix: PlanIndex) -> list[Path]:
    paths = []
    for balancer in ix.of_type(LOAD_BALANCER):
        logs = balancer.inputs.get("accessLogs") or {}
        if not logs.get("enabled"):
            continue
        target = ix.bucket_by_name(logs["bucket"])
        writer = elb_log_writer(ix)
        key = (
            f"{logs['prefix']}/AWSLogs/{ix.account}/elasticloadbalancing/{ix.region}/2026/12/06/"
            f"{ix.account}_elasticloadbalancing_{ix.region}_app.x.log.gz"
        )
        context = tls(**writer.context)
        path = Path(
            kind="load-balancer-logs",
            title="The load balancer's access logs reach the log bucket",
            caller=writer.principal,
            actions=("s3:PutObject",),
            resource=f"{target.arn}/{key}",
            account_id=ix.account,
            context=context,
            identity_policies=writer.identity,
            resource_policy=target.policy,
            block_public_access=target.blocks_public_access,
            docs=(ELB_LOGS_DOC,),
            note=writer.note,
        )
        outsider, outsider_docs = ix.outsider("")
        paths.append(
            path.with_twins(
                path.twin_resource(
                    "another account's log prefix",
                    f"{target.arn}/{key.replace(ix.account, OUTSIDE_ACCOUNT)}",
                ),
                path.twin_caller("a role of this account", outsider, outsider_docs),
                path.twin_context("no TLS", secure_transport="false"),
            )
        )
    return paths


def vended_log_paths(ix: PlanIndex) -> list[Path]:
    """CloudFront standard logging (v2) and WAF into their CloudWatch Logs log groups."""
    paths = []
    for source in ix.of_type(DELIVERY_SOURCE):
        destination = next(
            d
            for d in ix.of_type(DELIVERY_DESTINATION)
            if d.inputs["name"].removesuffix("-cloudwatch")
            == source.inputs["name"].removesuffix("-access-logs")
        )
        group = destination.inputs["deliveryDestinationConfiguration"]["destinationResourceArn"]
        paths.append(
            _vended(
                ix,
                "cloudfront-logs",
                "CloudFront standard logging writes its log group",
                group,
                str(source.outputs["arn"]),
                (VENDED_LOGS_V2_DOC,),
            )
        )
    for logging in ix.of_type(WAF_LOGGING):
        for group in logging.inputs["logDestinationConfigs"]:
            region = group.split(":")[3]
            source_arn = f"arn:aws:logs:{region}:{ix.account}:delivery:{group.rsplit(':', 1)[-1]}"
            paths.append(
                _vended(
                    ix,
                    "waf-logs",
                    f"WAF writes {group.rsplit(':', 1)[-1]}",
                    group,
                    source_arn,
                    (WAF_LOGS_DOC, VENDED_LOGS_DOC),
                )
            )
    return paths


def _vended(
    ix: PlanIndex, kind: str, title: str, group_arn: str, source_arn: str, docs: tuple[str, ...]
) -> Path:
    path = Path(
        kind=kind,
        title=title,
        caller=VENDED_LOGS_SERVICE,
        actions=("logs:CreateLogStream", "logs:PutLogEvents"),
        resource=f"{group_arn}:log-stream:{ix.region}_delivery_0",
        account_id=ix.account,
        context={"aws:SourceAccount": ix.account, "aws:SourceArn": source_arn},
        resource_policy=ix.log_resource_policy(group_arn),
        docs=docs,
    )
    return path.with_twins(
        path.twin_context("another account", source_account=OUTSIDE_ACCOUNT),
        path.twin_context(
            "another account's source", source_arn=source_arn.replace(ix.account, OUTSIDE_ACCOUNT)
        ),
        path.twin_caller("another service", "cloudtrail.amazonaws.com"),
    )


def flow_log_paths(ix: PlanIndex) -> list[Path]:
    paths = []
    for flow_log in ix.of_type(FLOW_LOG):
        role = ix.caller(ix.role_by_arn(flow_log.inputs["iamRoleArn"]))
        flow_log_arn = f"arn:aws:ec2:{ix.region}:{ix.account}:vpc-flow-log/{flow_log.id}"
        assume = role.assumed_by(
            "vpc-flow-logs.amazonaws.com",
            kind="flow-logs-assume-role",
            title="VPC flow logs assume their role",
            context={"aws:SourceAccount": ix.account, "aws:SourceArn": flow_log_arn},
            docs=(FLOW_LOGS_DOC,),
        )
        paths.append(
            assume.with_twins(
                assume.twin_context("another account", source_account=OUTSIDE_ACCOUNT),
                assume.twin_context(
                    "another account's flow log",
                    source_arn=flow_log_arn.replace(ix.account, OUTSIDE_ACCOUNT),
                ),
            )
        )
        paths.append(
            role_writes_logs(
                role,
                kind="flow-logs-write",
                title="The flow logs role writes the flow log group",
                actions=("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"),
                group_arn=flow_log.inputs["logDestination"],
                stream="eni-0123456789abcdef0-all",
                docs=(FLOW_LOGS_DOC,),
            )
        )
    return paths


def role_writes_logs(
    role: Role,
    *,
    kind: str,
    title: str,
    actions: tuple[str, ...],
    group_arn: str,
    stream: str,
    docs: tuple[str, ...],
) -> Path:
    """A role writes a stream of a log group with its identity policies alone (a log group has no resource
    policy for roles); twins: a stream of another log group, another role."""
    write = role.path(
        kind=kind,
        title=title,
        actions=actions,
        resource=f"{group_arn}:log-stream:{stream}",
        docs=docs,
    )
    return write.with_twins(
        write.twin_resource("another log group", f"{other_arn(group_arn)}:log-stream:x"),
        role.another_role(write),
    )


@dataclass(frozen=True)
class ElbWriter:
    """Who writes a Region's load balancer logs, with what it says of itself."""

    principal: str
    context: dict[str, str]
    identity: tuple[Document, ...]
    note: str


def elb_log_writer(ix: PlanIndex) -> ElbWriter:
    account = ELB_ACCOUNT_IDS.get(ix.region)
    if account is not None:
        return ElbWriter(
            principal=f"arn:aws:iam::{account}:root",
            context={"aws:PrincipalAccount": account},
            identity=(aws_side.elb_writer_identity(),),
            note=f"the ELB account of {ix.region} writes; its own policies are AWS's",
        )
    return ElbWriter(
        principal=ELB_LOG_DELIVERY_SERVICE,
        context={
            "aws:PrincipalServiceName": ELB_LOG_DELIVERY_SERVICE,
            "aws:SourceAccount": ix.account,
        },
        identity=(),
        note=f"{ix.region} has no ELB account: the log delivery service principal writes",
    )
