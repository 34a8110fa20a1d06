"""Monthly cost estimate: the arithmetic on a known plan, the price table, dev against prod."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.review.test_review import STACK_URN, resource, snapshot
from tools.review.cost import PRICES_DIR, estimate, money, price_table
from tools.review.diff import compare
from tools.review.render import render
from tools.review.report import Report
from tools.review.snapshot import snapshot_of

TABLE = {
    "region": "test-region-1",
    "date": "2026-01-02",
    "currency": "USD",
    "hoursPerMonth": 730,
    "sources": ["https://example.com/prices"],
    "hourly": {
        "natGateway": 0.05,
        "publicIpv4Address": 0.005,
        "applicationLoadBalancer": 0.02,
        "interfaceEndpointPerAz": 0.01,
        "kinesisShard": 0.015,
        "ec2": {"t4g.small": 0.02},
        "rdsMysqlSingleAz": {"db.t4g.micro": 0.016},
        "rdsMysqlMultiAz": {"db.t4g.micro": 0.032},
    },
    "monthly": {
        "ebsPerGb": {"gp3": 0.08},
        "rdsStoragePerGbSingleAz": {"gp3": 0.1},
        "rdsStoragePerGbMultiAz": {"gp3": 0.2},
        "wafWebAcl": 5,
        "wafRule": 1,
        "route53HostedZone": 0.5,
        "secretsManagerSecret": 0.4,
        "kmsKey": 1,
        "cloudwatchAlarmStandardMetric": 0.1,
        "cloudwatchAlarmHighResolutionMetric": 0.3,
        "cloudwatchDashboard": 3,
    },
}

COMPONENT = "urn:pulumi:dev::platform::platform:web:WebTier::web"


def known_plan():
    web = resource("web", {}, kind="platform:web:WebTier")
    web = type(web)(web.urn, web.type, web.name, STACK_URN, False, {})
    template = resource(
        "web-lt",
        {
            "instanceType": "t4g.small",
            "blockDeviceMappings": [{"ebs": {"volumeSize": 10, "volumeType": "gp3"}}],
        },
        parent=COMPONENT,
        kind="aws:ec2/launchTemplate:LaunchTemplate",
    )
    group = resource(
        "web-asg",
        {"desiredCapacity": 3, "minSize": 2, "launchTemplate": {"id": "[unknown]"}},
        parent=COMPONENT,
        kind="aws:autoscaling/group:Group",
    )
    group = type(group)(**{**group.__dict__, "dependencies": {"launchTemplate": [template.urn]}})
    return snapshot(
        web,
        template,
        group,
        resource("nat", {}, kind="aws:ec2/natGateway:NatGateway"),
        resource("nat-eip", {"domain": "vpc"}, kind="aws:ec2/eip:Eip"),
        resource(
            "alb",
            {"loadBalancerType": "application"},
            COMPONENT,
            "aws:lb/loadBalancer:LoadBalancer",
        ),
        resource(
            "db",
            {
                "engine": "mysql",
                "instanceClass": "db.t4g.micro",
                "multiAz": True,
                "allocatedStorage": 20,
                "storageType": "gp3",
                "manageMasterUserPassword": True,
            },
            kind="aws:rds/instance:Instance",
        ),
        resource("waf", {"rules": [{"name": "a"}, {"name": "b"}]}, kind="aws:wafv2/webAcl:WebAcl"),
        resource("stream", {"shardCount": 2}, kind="aws:kinesis/stream:Stream"),
        resource(
            "ssm",
            {"vpcEndpointType": "Interface", "subnetIds": ["s1", "s2"]},
            kind="aws:ec2/vpcEndpoint:VpcEndpoint",
        ),
        resource(
            "s3-gateway", {"vpcEndpointType": "Gateway"}, kind="aws:ec2/vpcEndpoint:VpcEndpoint"
        ),
        resource("fast", {"period": 10}, kind="aws:cloudwatch/metricAlarm:MetricAlarm"),
        resource("zone", {}, kind="aws:route53/zone:Zone"),
        resource("key", {}, kind="aws:kms/key:Key"),
        resource(
            "bastion",
            {
                "instanceType": "t4g.small",
                "rootBlockDevice": {"volumeSize": 8},
                "associatePublicIpAddress": True,
            },
            kind="aws:ec2/instance:Instance",
        ),
        resource("cdn", {}, kind="aws:cloudfront/distribution:Distribution"),
    )


@pytest.fixture
def table(tmp_path):
    (tmp_path / "test-region-1.json").write_text(json.dumps(TABLE))
    return price_table("test-region-1", tmp_path)


def test_the_arithmetic_on_a_known_plan(table):
    result = estimate(known_plan(), table)
    monthly = {(item.resource.name, item.what): item.monthly for item in result.items}
    assert monthly == {
        ("web-asg", "EC2 t4g.small x desired capacity"): Decimal("43.80"),  # 3 x 0.02 x 730
        ("web-asg", "EBS gp3 10 GB x 3"): Decimal("2.40"),  # 30 GB x 0.08
        ("nat", "NAT gateway"): Decimal("36.50"),
        ("nat-eip", "public IPv4 address"): Decimal("3.65"),
        ("alb", "application load balancer"): Decimal("14.60"),
        ("db", "RDS mysql db.t4g.micro Multi-AZ"): Decimal("23.36"),  # Multi-AZ rate
        ("db", "RDS gp3 storage (GB)"): Decimal("4.0"),  # 20 GB x Multi-AZ 0.2
        ("db", "RDS-managed master password secret"): Decimal("0.4"),
        ("waf", "WAF web ACL"): Decimal("5"),
        ("waf", "WAF rule"): Decimal("2"),
        ("stream", "Kinesis shard"): Decimal("21.90"),  # 2 x 0.015 x 730
        ("ssm", "interface endpoint x AZ"): Decimal("14.60"),  # 2 AZ x 0.01 x 730
        ("fast", "CloudWatch alarm metric"): Decimal("0.3"),  # high resolution (period < 60)
        ("zone", "Route 53 hosted zone"): Decimal("0.5"),
        ("key", "KMS key"): Decimal("1"),
        ("bastion", "EC2 t4g.small"): Decimal("14.60"),
        ("bastion", "EBS gp3 8 GB x 1"): Decimal("0.64"),  # gp3 when no type is given
        ("bastion", "public IPv4 address"): Decimal("3.65"),
    }
    assert result.total == Decimal("192.90")
    groups = {urn: sum(i.monthly for i in items) for urn, items in result.by_component().items()}
    assert groups[COMPONENT] == Decimal("60.80")  # instances, volumes, load balancer
    usage = {(r.name, what) for r, what in result.usage}
    assert ("cdn", "requests and data transfer out") in usage
    assert ("nat", "data processed") in usage


def test_the_cost_section_prints_components_total_and_change(table):
    base = known_plan()
    new = snapshot(*[r for r in base.resources if r.name != "stream"])
    report = Report(
        snapshot=new,
        review=compare(base, new),
        cost=estimate(new, table),
        base=base,
        base_label="HEAD",
        base_cost=estimate(base, table),
    )
    text = render(report)
    assert "prices of 2026-01-02" in text
    assert any(line.split()[:2] == ["Total", "$171.00"] for line in text.splitlines())
    assert "Change against the base: $192.90 => $171.00 (-$21.90)" in text
    assert "usage-based, not estimated" in text.lower()


def test_a_region_without_a_price_table_is_not_guessed(tmp_path):
    assert price_table("eu-central-2", tmp_path) is None
    plan = snapshot(resource("nat", {}, kind="aws:ec2/natGateway:NatGateway"))
    report = Report(snapshot=plan, review=compare(None, plan), cost=estimate(plan, None))
    assert "no price table for region us-east-1" in render(report)
    assert report.to_json()["cost"]["total"] is None


def test_a_price_the_table_lacks_is_reported_not_invented(table):
    plan = snapshot(resource("big", {"instanceType": "x9.huge"}, kind="aws:ec2/instance:Instance"))
    result = estimate(plan, table)
    assert result.items == []
    assert [why for _, why in result.unpriced] == ["EC2 x9.huge: not in the price table"]


@pytest.mark.parametrize(
    ("amount", "text"),
    [("1234.564", "$1,234.56"), ("0", "$0.00"), ("-21.9", "-$21.90"), ("32.845", "$32.85")],
)
def test_amounts_are_written_in_us_dollars(amount, text):
    assert money(Decimal(amount)) == text


def test_the_repository_table_names_its_region_date_and_sources():
    data = json.loads((PRICES_DIR / "us-east-1.json").read_text())
    assert data["region"] == "us-east-1" and data["hoursPerMonth"] == 730
    assert data["date"] and all(
        url.startswith("https://aws.amazon.com/") for url in data["sources"]
    )


def test_dev_has_one_nat_gateway_prod_three_and_prod_costs_more(stack_plan):
    costs = {}
    for stack in ("dev", "prod"):
        shot = snapshot_of(stack_plan(stack))
        costs[stack] = estimate(shot, price_table(shot.region))
    nat = {s: [i for i in c.items if i.what == "NAT gateway"] for s, c in costs.items()}
    assert (len(nat["dev"]), len(nat["prod"])) == (1, 3)
    assert {i.monthly for i in nat["dev"] + nat["prod"]} == {Decimal("32.850")}  # 730 x $0.045
    assert costs["prod"].total > costs["dev"].total
