"""Policy gate: our pack beside AWSGuard and an empty pack, on stacks of 1,000 and 10,000 resources.

The stacks are synthetic programs of raw pulumi_aws resources run through the same mocks as the
real program (`tools.offline.run_program`), so properties, URNs and property dependencies are what
the gate sees for real programs. One unit of 50 resources is one VPC with its subnets, routing
(public through an internet gateway, private through a NAT gateway), flow logs, security groups
and ingress rules, two MySQL databases with their subnet groups, four buckets with the SSE-deny
bucket policy and a public access block, and one bare bucket. Some units are insecure on purpose:
every odd unit opens 3306 to 0.0.0.0/0, every fourth puts a database in public subnets.

Three packs are started once per size, as the CLI starts them (start times are reported apart):
ours; AWSGuard (npm @pulumi/awsguard, every rule mandatory, `node <@pulumi/pulumi>/cmd/
run-policy-pack <engine> <pack>`; skipped when Node.js is absent); and an empty Python pack whose
two policies do nothing (the protocol's own cost). Then `run_gate` sends Analyze for each resource
and AnalyzeStack once, in update mode, to each pack in turn, REPEATS times (the runs of the three
packs interleaved); figures are medians. Building the plan is not measured.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws

from bench import awsguard
from bench.common import report, update_section
from components.data.bucket_policies import bucket_policy_document
from tools.offline import Plan, run_program
from tools.policy_gate import POLICY_PACK_DIR, GateResult, PolicyAnalyzer, run_gate

EMPTY_PACK_DIR = Path(__file__).resolve().parent / "empty_pack"

UNIT_RESOURCES = 50
SIZES = (1_000, 10_000)
REPEATS = 5
TARGET_RATIO = 11.0
# AnalyzeStack at most this many times the empty pack's (the protocol's own cost).
STACK_TARGET = 2.0
ANYWHERE = "0.0.0.0/0"


# --- the synthetic program -------------------------------------------------------------------


def _unit(index: int) -> None:
    """50 resources: network, security groups, databases and buckets of one unit."""
    name = f"u{index:04d}"
    second = index % 250
    vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block=f"10.{second}.0.0/16", enable_dns_hostnames=True)
    igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id)
    zones = ("us-east-1a", "us-east-1b", "us-east-1c")

    def tier_subnets(tier: str, first: int, public_ips: bool | None = None) -> list[aws.ec2.Subnet]:
        """One subnet of the tier per zone, at 10.<second>.<first + n>.0/24."""
        return [
            aws.ec2.Subnet(
                f"{name}-{tier}-{zone}",
                vpc_id=vpc.id,
                cidr_block=f"10.{second}.{first + number}.0/24",
                availability_zone=zone,
                map_public_ip_on_launch=public_ips,
            )
            for number, zone in enumerate(zones)
        ]

    def tier_routes(
        tier: str,
        members: list[aws.ec2.Subnet],
        gateway: aws.ec2.InternetGateway | None = None,
        nat: aws.ec2.NatGateway | None = None,
    ) -> None:
        """The tier's route table: a default route to its gateway, associated with its subnets."""
        table = aws.ec2.RouteTable(f"{name}-{tier}-rt", vpc_id=vpc.id)
        aws.ec2.Route(
            f"{name}-{tier}-default",
            route_table_id=table.id,
            destination_cidr_block=ANYWHERE,
            gateway_id=gateway.id if gateway is not None else None,
            nat_gateway_id=nat.id if nat is not None else None,
        )
        for subnet_index, subnet in enumerate(members):
            aws.ec2.RouteTableAssociation(
                f"{name}-{tier}-{subnet_index}", subnet_id=subnet.id, route_table_id=table.id
            )

    public = tier_subnets("public", 0, public_ips=True)
    private = tier_subnets("private", 100)
    tier_routes("public", public, gateway=igw)
    eip = aws.ec2.Eip(f"{name}-nat-ip", domain="vpc")
    nat = aws.ec2.NatGateway(f"{name}-nat", allocation_id=eip.id, subnet_id=public[0].id)
    tier_routes("private", private, nat=nat)
    log_group = aws.cloudwatch.LogGroup(f"{name}-flow-logs", retention_in_days=30)
    role = aws.iam.Role(
        f"{name}-flow-logs-role",
        assume_role_policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    aws.ec2.FlowLog(
        f"{name}-flow-log",
        vpc_id=vpc.id,
        traffic_type="ALL",
        log_destination_type="cloud-watch-logs",
        log_destination=log_group.arn,
        iam_role_arn=role.arn,
    )

    web, app, db = (
        aws.ec2.SecurityGroup(f"{name}-{tier}", vpc_id=vpc.id, description=f"{tier} tier")
        for tier in ("web", "app", "db")
    )

    def ingress(
        role_name: str,
        target: aws.ec2.SecurityGroup,
        port: int,
        cidr: str | None = None,
        source: aws.ec2.SecurityGroup | None = None,
    ) -> None:
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-{role_name}",
            security_group_id=target.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            cidr_ipv4=cidr,
            referenced_security_group_id=source.id if source is not None else None,
        )

    ingress("web-https", web, 443, cidr=ANYWHERE)
    ingress("web-http", web, 80, cidr=ANYWHERE)
    ingress("app-from-web", app, 8080, source=web)
    ingress("app-ssh-from-vpc", app, 22, cidr="10.0.0.0/8")
    ingress("db-from-app", db, 3306, source=app)
    # The insecure variant: MySQL open to the internet.
    ingress("db-mysql", db, 3306, cidr=ANYWHERE if index % 2 else f"10.{second}.0.0/16")
    aws.vpc.SecurityGroupEgressRule(
        f"{name}-app-to-db",
        security_group_id=app.id,
        ip_protocol="tcp",
        from_port=3306,
        to_port=3306,
        referenced_security_group_id=db.id,
    )

    for number in range(2):
        # The insecure variant: the second database of every fourth unit in public subnets.
        subnets = public if number == 1 and index % 4 == 3 else private
        group = aws.rds.SubnetGroup(
            f"{name}-db{number}-subnets", subnet_ids=[subnet.id for subnet in subnets]
        )
        aws.rds.Instance(
            f"{name}-db{number}",
            engine="mysql",
            engine_version="8.0",
            instance_class="db.t4g.micro",
            allocated_storage=20,
            storage_encrypted=True,
            manage_master_user_password=True,
            username="admin",
            db_subnet_group_name=group.name,
            vpc_security_group_ids=[db.id],
            publicly_accessible=False,
            skip_final_snapshot=True,
        )

    for number in range(4):
        bucket = aws.s3.Bucket(f"{name}-data-{number}")
        aws.s3.BucketPolicy(
            f"{name}-data-{number}-policy",
            bucket=bucket.id,
            policy=bucket.arn.apply(lambda arn: json.dumps(bucket_policy_document(arn, "AES256"))),
        )
        aws.s3.BucketPublicAccessBlock(
            f"{name}-data-{number}-block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
    # The insecure variant: a bucket without policy nor public access block, in every unit.
    aws.s3.Bucket(f"{name}-scratch")


def synthetic_program(units: int) -> Callable[[], None]:
    def program() -> None:
        for index in range(units):
            _unit(index)
        pulumi.export("units", units)

    return program


def expected_violations(units: int) -> Counter[str]:
    """What the pack must report for `units` units (the benchmark's sanity check)."""
    odd = units // 2
    fourth = (units + 1) // 4  # indexes 3, 7, 11, ...
    expected = Counter(
        {
            # The bare bucket: no policy. Its Block Public Access is S3's default for new
            # buckets, all on, so s3-block-public-access has nothing to report.
            "s3-deny-unencrypted-uploads": units,
            "s3-deny-insecure-transport": units,
            "security-group-no-public-database-ports": odd,
            # One violation per public subnet of the database's subnet group.
            "rds-subnets-private": 3 * fourth,
        }
    )
    return +expected  # without the zero counts


def build_plan(size: int) -> Plan:
    units = size // UNIT_RESOURCES
    plan = run_program("dev", program=synthetic_program(units))
    if len(plan.resources) != units * UNIT_RESOURCES:
        raise RuntimeError(
            f"expected {units * UNIT_RESOURCES} resources, got {len(plan.resources)}"
        )
    return plan


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Pack:
    """One pack under measurement: how to start it, and its gate times per size."""

    label: str
    start: Callable[[Plan], PolicyAnalyzer]
    seconds: dict[int, list[float]] = field(default_factory=dict)
    stack_seconds: dict[int, list[float]] = field(default_factory=dict)
    cpu: dict[int, list[float]] = field(default_factory=dict)
    started: dict[int, float] = field(default_factory=dict)
    results: dict[int, GateResult] = field(default_factory=dict)

    def median(self, size: int) -> float:
        return statistics.median(self.seconds[size])

    def median_cpu(self, size: int) -> float:
        return statistics.median(self.cpu[size])

    def median_stack(self, size: int) -> float:
        return statistics.median(self.stack_seconds[size])


def cpu_seconds(analyzer: PolicyAnalyzer) -> float:
    """CPU time (user + system) the pack's process has used so far, from /proc (Linux): what
    the pack itself costs, apart from the client and from other load on the machine."""
    assert analyzer.process is not None
    fields = Path(f"/proc/{analyzer.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def packs() -> list[Pack]:
    """Our pack, AWSGuard (when Node.js is there) and the empty Python pack."""

    def python_pack(directory: Path) -> Callable[[Plan], PolicyAnalyzer]:
        return lambda plan: PolicyAnalyzer(directory, stack=plan.stack, dry_run=plan.preview)

    found = [Pack("platform-security (ours)", python_pack(POLICY_PACK_DIR))]
    awsguard_dir = awsguard.ensure_pack()
    if awsguard_dir is not None:
        found.append(
            Pack(
                "AWSGuard (all mandatory)",
                lambda plan: awsguard.AwsGuardAnalyzer(
                    awsguard_dir, stack=plan.stack, dry_run=plan.preview
                ),
            )
        )
    found.append(Pack("empty Python pack", python_pack(EMPTY_PACK_DIR)))
    return found


def measure(size: int, measured: list[Pack]) -> tuple[Plan, float]:
    """Each pack's gate time on one plan, the packs' runs interleaved, REPEATS of each."""
    start = time.perf_counter()
    plan = build_plan(size)
    build_seconds = time.perf_counter() - start
    # The plan and what the mocked run left behind stay alive through the measurement: keep this
    # process's own collector off them, so its full collections do not grow the client's share of
    # every pack's gate time with the size of the stack (the CLI, in Go, has no such cost).
    gc.collect()
    gc.freeze()
    analyzers: list[PolicyAnalyzer] = []
    try:
        for pack in measured:
            start = time.perf_counter()
            analyzers.append(pack.start(plan).__enter__())
            pack.started[size] = time.perf_counter() - start
            pack.seconds[size], pack.cpu[size], pack.stack_seconds[size] = [], [], []
        for _ in range(REPEATS):
            for pack, analyzer in zip(measured, analyzers, strict=True):
                start, cpu = time.perf_counter(), cpu_seconds(analyzer)
                pack.results[size] = run_gate(plan, analyzer)
                pack.seconds[size].append(time.perf_counter() - start)
                pack.stack_seconds[size].append(pack.results[size].analyze_stack_seconds)
                pack.cpu[size].append(cpu_seconds(analyzer) - cpu)
    finally:
        for analyzer in analyzers:
            analyzer.close()
        gc.unfreeze()
    return plan, build_seconds


def _violations(result: GateResult) -> str:
    counts = Counter(violation.policy for violation in result.mandatory)
    return ", ".join(f"{policy} {count}" for policy, count in sorted(counts.items())) or "none"


def main() -> str:
    measured = packs()
    ours = measured[0]
    awsguard_pack = next((pack for pack in measured if pack.label.startswith("AWSGuard")), None)
    floor = next((pack for pack in measured if pack.label.startswith("empty")), None)
    rows: list[tuple[str, str]] = []
    for size in SIZES:
        plan, build_seconds = measure(size, measured)
        found = Counter(violation.policy for violation in ours.results[size].violations)
        expected = expected_violations(size // UNIT_RESOURCES)
        sane = "as expected" if found == expected else f"EXPECTED {dict(expected)}"
        for pack in measured:
            per_resource = pack.median(size) / len(plan.resources) * 1000
            rows.append(
                (
                    f"{size}: {pack.label}, gate time (median of {REPEATS})",
                    f"{pack.median(size):.2f} s ({per_resource:.3f} ms per resource; "
                    f"AnalyzeStack {pack.median_stack(size):.2f} s; pack process CPU "
                    f"{pack.median_cpu(size):.2f} s; start {pack.started[size]:.2f} s, not "
                    "included)",
                )
            )
        if floor is not None:
            ratio = ours.median_stack(size) / floor.median_stack(size)
            verdict = "met" if ratio <= STACK_TARGET else "MISSED"
            rows.append(
                (
                    f"{size}: ours / empty pack: AnalyzeStack (target <= {STACK_TARGET:g} at 10k: "
                    f"{verdict})",
                    f"{ratio:.2f}",
                )
            )
        if awsguard_pack is not None:
            ratio = ours.median(size) / awsguard_pack.median(size)
            verdict = "met" if ratio <= 1 else "MISSED"
            cpu_ratio = ours.median_cpu(size) / awsguard_pack.median_cpu(size)
            rows.append(
                (
                    f"{size}: ours / AWSGuard: gate time (target <= 1 at 10k: {verdict}); pack CPU",
                    f"{ratio:.2f}; {cpu_ratio:.2f}",
                )
            )
            rows.append(
                (f"{size}: AWSGuard mandatory violations", _violations(awsguard_pack.results[size]))
            )
        rows.append(
            (
                f"{size}: our violations ({sane})",
                ", ".join(f"{policy} {count}" for policy, count in sorted(found.items())),
            )
        )
        rows.append((f"{size}: plan build under mocks (not measured)", f"{build_seconds:.1f} s"))
    for pack in measured:
        ratio = pack.median(SIZES[-1]) / pack.median(SIZES[0])
        verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
        target = f" (target <= {TARGET_RATIO:g}, linear: {verdict})" if pack is ours else ""
        rows.append((f"{pack.label}: time(10k) / time(1k){target}", f"{ratio:.1f}"))
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    rows.append(("load average (1 / 5 / 15 min) at the end, 2 cores", load))
    return report("Policy gate (analyzer processes, update mode, runs interleaved)", rows)


if __name__ == "__main__":
    update_section(main())
