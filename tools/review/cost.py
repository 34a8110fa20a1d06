"""Monthly cost of a snapshot: fixed hourly and monthly prices from a table in the repository.

`tools/prices/<region>.json` names its region, its date, its sources and the hours in a month
(730). Only what a resource costs by existing is estimated (an hour of a NAT gateway, a month of
a secret); what it costs by being used (data processed, requests, storage used) is listed as
usage-based and not estimated. A region without a table is said to have none, never guessed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from tools.review.snapshot import Resource, Snapshot

PRICES_DIR = Path(__file__).resolve().parent.parent / "prices"
CENT = Decimal("0.01")
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


@dataclass(frozen=True)
class PriceTable:
    path: Path
    region: str
    date: str
    hours_per_month: Decimal
    sources: list[str]
    hourly: dict[str, Any]
    monthly: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> PriceTable:
        data = json.loads(path.read_text(), parse_float=Decimal)
        return cls(
            path=path,
            region=data["region"],
            date=data["date"],
            hours_per_month=Decimal(data["hoursPerMonth"]),
            sources=data["sources"],
            hourly=data["hourly"],
            monthly=data["monthly"],
        )


def price_table(region: str, directory: Path = PRICES_DIR) -> PriceTable | None:
    path = directory / f"{region}.json"
    return PriceTable.load(path) if path.exists() else None


@dataclass(frozen=True)
class Item:
    """One priced part of a resource: `quantity` x `unit` price per hour or per month."""

    resource: Resource
    what: str
    quantity: Decimal
    unit: Decimal
    per: str  # "h" or "month"
    monthly: Decimal


@dataclass
class Estimate:
    snapshot: Snapshot
    table: PriceTable | None
    items: list[Item] = field(default_factory=list)
    # (resource, what): parts priced by use, and parts the table cannot price (with why).
    usage: list[tuple[Resource, str]] = field(default_factory=list)
    unpriced: list[tuple[Resource, str]] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((item.monthly for item in self.items), Decimal(0))

    def by_component(self) -> dict[str, list[Item]]:
        """Items grouped by the top-level component (a URN) they belong to, in plan order."""
        groups: dict[str, list[Item]] = defaultdict(list)
        for item in self.items:
            groups[top_level(self.snapshot, item.resource)].append(item)
        return dict(groups)


def top_level(snapshot: Snapshot, resource: Resource) -> str:
    """The URN of the stack's child that `resource` sits under (itself if it is one)."""
    resources = snapshot.by_urn()
    while resource.parent in resources:
        resource = resources[resource.parent]
    return resource.urn


def money(amount: Decimal) -> str:
    """`$1,234.56`, and `-$12.00` for a decrease."""
    rounded = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return f"{'-' if rounded < 0 else ''}${abs(rounded):,.2f}"


def estimate(snapshot: Snapshot, table: PriceTable | None) -> Estimate:
    """Priced items in the order of the resources' URNs; usage-based parts sorted by what."""
    result = Estimate(snapshot, table)
    if table is None:
        return result
    for resource in sorted(snapshot.resources, key=lambda resource: resource.urn):
        for part in USAGE.get(resource.type, ()):
            result.usage.append((resource, part))
        pricer = PRICERS.get(resource.type)
        if pricer is None:
            continue
        for item in pricer(_Pricing(snapshot, table, resource, result)):
            result.items.append(item)
    result.usage.sort(key=lambda part: (part[1], part[0].urn))
    result.unpriced.sort(key=lambda part: (part[0].urn, part[1]))
    return result


class _Pricing:
    """What a pricer needs: the resource, the table, the snapshot, and how to record a part."""

    def __init__(self, snapshot: Snapshot, table: PriceTable, resource: Resource, out: Estimate):
        self.snapshot, self.table, self.resource, self._out = snapshot, table, resource, out
        self.inputs = resource.inputs

    def not_priced(self, why: str) -> None:
        self._out.unpriced.append((self.resource, why))

    def hourly(self, what: str, price: Any, quantity: Any = 1) -> Iterator[Item]:
        yield from self._item(what, price, quantity, "h", self.table.hours_per_month)

    def monthly(self, what: str, price: Any, quantity: Any = 1) -> Iterator[Item]:
        yield from self._item(what, price, quantity, "month", Decimal(1))

    def _item(
        self, what: str, price: Any, quantity: Any, per: str, factor: Decimal
    ) -> Iterator[Item]:
        if not isinstance(price, Decimal | int):
            self.not_priced(f"{what}: not in the price table")
            return
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            self.not_priced(f"{what}: quantity {quantity} not known")
            return
        if quantity == 0:
            return
        unit = Decimal(price)
        yield Item(self.resource, what, Decimal(quantity), unit, per, quantity * unit * factor)


Pricer = Callable[[_Pricing], Iterator[Item]]


def _nat_gateway(p: _Pricing) -> Iterator[Item]:
    yield from p.hourly("NAT gateway", p.table.hourly.get("natGateway"))


def _eip(p: _Pricing) -> Iterator[Item]:
    yield from p.hourly("public IPv4 address", p.table.hourly.get("publicIpv4Address"))


def _load_balancer(p: _Pricing) -> Iterator[Item]:
    kind = p.inputs.get("loadBalancerType") or "application"
    key = {"application": "applicationLoadBalancer", "network": "networkLoadBalancer"}.get(kind)
    yield from p.hourly(f"{kind} load balancer", p.table.hourly.get(key or ""))


def _ebs_volumes(p: _Pricing, mappings: Any, count: Any = 1) -> Iterator[Item]:
    for mapping in mappings if isinstance(mappings, list) else []:
        ebs = (mapping.get("ebs") or {}) if isinstance(mapping, dict) else {}
        kind = ebs.get("volumeType") or "gp3"
        size = ebs.get("volumeSize")
        if isinstance(size, int) and isinstance(count, int):
            price = p.table.monthly["ebsPerGb"].get(kind)
            yield from p.monthly(f"EBS {kind} {size} GB x {count}", price, size * count)


def _ec2_instance(p: _Pricing) -> Iterator[Item]:
    kind = p.inputs.get("instanceType")
    yield from p.hourly(f"EC2 {kind}", p.table.hourly["ec2"].get(kind))
    root = p.inputs.get("rootBlockDevice")
    if isinstance(root, dict):
        yield from _ebs_volumes(p, [{"ebs": root}])
    if p.inputs.get("associatePublicIpAddress"):
        yield from p.hourly("public IPv4 address", p.table.hourly.get("publicIpv4Address"))


def _auto_scaling_group(p: _Pricing) -> Iterator[Item]:
    capacity = p.inputs.get("desiredCapacity", p.inputs.get("minSize"))
    template = _launch_template(p)
    if template is None:
        p.not_priced("instances: launch template not found")
        return
    kind = template.inputs.get("instanceType")
    price = p.table.hourly["ec2"].get(kind)
    yield from p.hourly(f"EC2 {kind} x desired capacity", price, capacity)
    yield from _ebs_volumes(p, template.inputs.get("blockDeviceMappings"), capacity)


def _launch_template(p: _Pricing) -> Resource | None:
    resources = p.snapshot.by_urn()
    for urn in p.resource.dependencies.get("launchTemplate", []):
        if resources.get(urn) and resources[urn].type == LAUNCH_TEMPLATE:
            return resources[urn]
    name = (p.inputs.get("launchTemplate") or {}).get("name")
    templates = p.snapshot.resources
    return next(
        (
            r
            for r in templates
            if name and r.type == LAUNCH_TEMPLATE and r.inputs.get("name") == name
        ),
        None,
    )


def _ebs_volume(p: _Pricing) -> Iterator[Item]:
    yield from _ebs_volumes(
        p, [{"ebs": {"volumeType": p.inputs.get("type"), "volumeSize": p.inputs.get("size")}}]
    )


def _rds_instance(p: _Pricing) -> Iterator[Item]:
    multi_az = bool(p.inputs.get("multiAz"))
    where = "MultiAz" if multi_az else "SingleAz"
    kind = p.inputs.get("instanceClass")
    engine = p.inputs.get("engine")
    label = f"RDS {engine} {kind} {'Multi-AZ' if multi_az else 'single-AZ'}"
    price = p.table.hourly[f"rdsMysql{where}"].get(kind) if engine == "mysql" else None
    yield from p.hourly(label, price)
    storage = p.inputs.get("storageType") or "gp2"
    size = p.inputs.get("allocatedStorage")
    storage_price = p.table.monthly[f"rdsStoragePerGb{where}"].get(storage)
    yield from p.monthly(f"RDS {storage} storage (GB)", storage_price, size)
    if p.inputs.get("manageMasterUserPassword"):
        secret = p.table.monthly.get("secretsManagerSecret")
        yield from p.monthly("RDS-managed master password secret", secret)


def _kinesis_stream(p: _Pricing) -> Iterator[Item]:
    mode = (p.inputs.get("streamModeDetails") or {}).get("streamMode") or "PROVISIONED"
    if mode == "ON_DEMAND":
        yield from p.hourly("Kinesis on-demand stream", p.table.hourly.get("kinesisOnDemandStream"))
    else:
        shards = p.inputs.get("shardCount")
        yield from p.hourly("Kinesis shard", p.table.hourly.get("kinesisShard"), shards)


def _web_acl(p: _Pricing) -> Iterator[Item]:
    yield from p.monthly("WAF web ACL", p.table.monthly.get("wafWebAcl"))
    rules = p.inputs.get("rules")
    if isinstance(rules, list) and rules:
        yield from p.monthly("WAF rule", p.table.monthly.get("wafRule"), len(rules))
    elif p.inputs.get("ruleJson"):
        p.not_priced("WAF rules given as ruleJson: not counted")


def _health_check(p: _Pricing) -> Iterator[Item]:
    # Endpoints are priced as outside AWS (the dearer rate): a name alone does not tell.
    yield from p.monthly("Route 53 health check", p.table.monthly.get("route53HealthCheckNonAws"))
    kind = str(p.inputs.get("type", ""))
    features = [
        kind.startswith("HTTPS"),
        "STR_MATCH" in kind,
        p.inputs.get("requestInterval") == 10,
        bool(p.inputs.get("measureLatency")),
    ]
    price = p.table.monthly.get("route53HealthCheckOptionalFeatureNonAws")
    yield from p.monthly("health check optional feature", price, sum(features))


def _metric_alarm(p: _Pricing) -> Iterator[Item]:
    queries = p.inputs.get("metricQueries")
    metrics = (
        sum(1 for query in queries if isinstance(query, dict) and query.get("metric"))
        if isinstance(queries, list)
        else 1
    )
    period = p.inputs.get("period")
    high_resolution = isinstance(period, int) and period < 60
    key = (
        "cloudwatchAlarmHighResolutionMetric"
        if high_resolution
        else "cloudwatchAlarmStandardMetric"
    )
    yield from p.monthly("CloudWatch alarm metric", p.table.monthly.get(key), metrics)


def _vpc_endpoint(p: _Pricing) -> Iterator[Item]:
    if p.inputs.get("vpcEndpointType") != "Interface":
        return  # gateway endpoints (S3, DynamoDB) are free
    subnets = p.inputs.get("subnetIds")
    zones = len(subnets) if isinstance(subnets, list) else None
    yield from p.hourly(
        "interface endpoint x AZ", p.table.hourly.get("interfaceEndpointPerAz"), zones
    )


def _monthly_price(what: str, key: str) -> Pricer:
    return lambda p: p.monthly(what, p.table.monthly.get(key))


PRICERS: dict[str, Pricer] = {
    "aws:ec2/natGateway:NatGateway": _nat_gateway,
    "aws:ec2/eip:Eip": _eip,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:ec2/instance:Instance": _ec2_instance,
    "aws:autoscaling/group:Group": _auto_scaling_group,
    "aws:ebs/volume:Volume": _ebs_volume,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:kinesis/stream:Stream": _kinesis_stream,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:route53/zone:Zone": _monthly_price("Route 53 hosted zone", "route53HostedZone"),
    "aws:route53/healthCheck:HealthCheck": _health_check,
    "aws:secretsmanager/secret:Secret": _monthly_price("secret", "secretsManagerSecret"),
    "aws:kms/key:Key": _monthly_price("KMS key", "kmsKey"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _metric_alarm,
    "aws:cloudwatch/dashboard:Dashboard": _monthly_price("dashboard", "cloudwatchDashboard"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
}

# Parts priced by use; a launch template costs nothing itself (its group's instances do).
USAGE: dict[str, tuple[str, ...]] = {
    "aws:ec2/natGateway:NatGateway": ("data processed",),
    "aws:lb/loadBalancer:LoadBalancer": ("load balancer capacity units",),
    "aws:ec2/flowLog:FlowLog": ("log delivery",),
    "aws:cloudwatch/logGroup:LogGroup": ("log ingestion and storage",),
    "aws:s3/bucket:Bucket": ("storage used and requests",),
    "aws:efs/fileSystem:FileSystem": ("storage used",),
    "aws:rds/instance:Instance": ("backup storage beyond the database size",),
    "aws:lambda/function:Function": ("requests and duration",),
    "aws:apigateway/restApi:RestApi": ("requests",),
    "aws:dynamodb/table:Table": ("requests and storage",),
    "aws:sns/topic:Topic": ("requests and SMS messages",),
    "aws:sqs/queue:Queue": ("requests",),
    "aws:kinesis/stream:Stream": ("data ingested and retrieved",),
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": ("data ingested",),
    "aws:cloudfront/distribution:Distribution": ("requests and data transfer out",),
    "aws:wafv2/webAcl:WebAcl": ("requests",),
    "aws:route53/zone:Zone": ("queries",),
    "aws:kms/key:Key": ("requests",),
    "aws:secretsmanager/secret:Secret": ("API calls",),
}
