"""`dnsRecords`: Route 53's routing rules checked at plan time, each problem naming the entry,
the field and the value; good records become the Record inputs AWS expects.

Rules from the Route 53 Developer Guide, "Choosing a routing policy"
(https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy.html) and the record
types it supports (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/ResourceRecordTypes.html).
"""

from __future__ import annotations

import json

import pytest

from components.edge.dns import record_inputs
from components.edge.dns_records import DnsRecordError, parse_dns_records
from components.settings import SettingsError, parse_settings
from tools.offline import ProgramFailed, run_program


def weighted(identifier: str, weight: object, **extra) -> dict:
    return {"name": "www", "type": "A", "ttl": 60, "values": ["192.0.2.1"], "routing": "weighted",
            "setIdentifier": identifier, "weight": weight, **extra}  # fmt: skip


def failover(role: str, identifier: str, **extra) -> dict:
    return {"name": "app", "type": "A", "ttl": 60, "values": ["192.0.2.2"], "routing": "failover",
            "setIdentifier": identifier, "failover": role, **extra}  # fmt: skip


def geo(identifier: str, **where) -> dict:
    return {"name": "geo", "type": "A", "ttl": 60, "values": ["192.0.2.3"],
            "routing": "geolocation", "setIdentifier": identifier, **where}  # fmt: skip


NOTES_RECORDS = [
    {"name": "@", "type": "MX", "ttl": 3600, "values": ["10 mail.example.com", "20 mail2.example.com"]},
    {"name": "@", "type": "TXT", "ttl": 3600, "values": ["v=spf1 include:amazonses.com -all"]},
    {"name": "_sip._tcp", "type": "SRV", "ttl": 3600, "values": ["10 60 5060 sip.example.com"]},
    weighted("blue", 200),
    weighted("green", 55),
    {"name": "lat", "type": "A", "ttl": 60, "values": ["192.0.2.4"], "routing": "latency",
     "setIdentifier": "use1", "region": "us-east-1"},
    failover("PRIMARY", "main", healthCheckId="abcdef01-2345-6789-abcd-ef0123456789"),
    failover("SECONDARY", "backup"),
    geo("europe", continent="EU"),
    geo("default", country="*"),
    {"name": "mv", "type": "A", "ttl": 60, "values": ["192.0.2.5"], "routing": "multivalue",
     "setIdentifier": "one"},
    {"name": "cdn", "type": "A", "alias": {"name": "d111.cloudfront.net", "zoneId": "Z2FDTNDATAQYW2"}},
]  # fmt: skip


def test_the_notes_records_and_every_routing_policy_are_accepted():
    records = parse_dns_records(NOTES_RECORDS)
    assert [r.routing for r in records].count("weighted") == 2
    inputs = {r.key(): record_inputs(r, "example.com") for r in records}
    assert inputs["apex-txt"]["records"] == ['"v=spf1 include:amazonses.com -all"']
    assert inputs["apex-mx"] == {"name": "example.com", "type": "MX", "records":
                                 ["10 mail.example.com", "20 mail2.example.com"], "ttl": 3600}  # fmt: skip
    assert inputs["www-a-blue"]["weighted_routing_policies"] == [{"weight": 200}]
    assert inputs["lat-a-use1"]["latency_routing_policies"] == [{"region": "us-east-1"}]
    assert inputs["app-a-main"]["failover_routing_policies"] == [{"type": "PRIMARY"}]
    assert inputs["geo-a-default"]["geolocation_routing_policies"] == [{"country": "*"}]
    assert inputs["mv-a-one"]["multivalue_answer_routing_policy"] is True
    assert inputs["cdn-a"]["aliases"][0]["zone_id"] == "Z2FDTNDATAQYW2"
    assert "ttl" not in inputs["cdn-a"]


BAD_RECORDS = [
    ([weighted("a", 256), weighted("b", 1)], "dnsRecords[0].weight = 256", "0 to 255"),
    ([weighted("a", -1), weighted("b", 1)], "dnsRecords[0].weight = -1", "0 to 255"),
    ([weighted("a", 1), weighted("a", 2)], "set identifiers ['a', 'a'] must be unique", ""),
    ([weighted("a", None)], "dnsRecords[0].weight = None", "required with routing weighted"),
    ([failover("PRIMARY", "p", healthCheckId="hc")], "one PRIMARY and one SECONDARY", "['PRIMARY']"),
    ([failover("PRIMARY", "p"), failover("SECONDARY", "s")], "dnsRecords[0].healthCheckId", "PRIMARY"),
    ([failover("FIRST", "p"), failover("SECONDARY", "s")], "dnsRecords[0].failover = 'FIRST'", "PRIMARY or SECONDARY"),
    ([geo("eu", continent="EU")], "geo A", "default record"),
    ([{"name": "x", "type": "A", "values": ["192.0.2.1"]}], "dnsRecords[0].ttl = None", "required"),
    ([{"name": "x", "type": "A", "ttl": 60}], "dnsRecords[0].values = None", "exactly one"),
    ([{"name": "x", "type": "A", "alias": {"name": "d.cloudfront.net", "zoneId": "Z2FDTNDATAQYW2"},
       "ttl": 60}], "dnsRecords[0].ttl = 60", "alias"),
    ([{"name": "x", "type": "MX", "ttl": 60, "values": ["mail.example.com"]}], "dnsRecords[0].values", "MX value"),
    ([{"name": "x", "type": "SRV", "ttl": 60, "values": ["5060 sip"]}], "dnsRecords[0].values", "SRV value"),
    ([{"name": "x", "type": "SPF", "ttl": 60, "values": ["v=spf1"]}], "dnsRecords[0].type = 'SPF'", "one of"),
    ([{"name": "x", "type": "A", "ttl": 60, "values": ["192.0.2.1"], "routing": "random"}],
     "dnsRecords[0].routing = 'random'", "one of"),
    ([{"name": "x", "type": "A", "ttl": 60, "values": ["192.0.2.1"], "setIdentifier": "a"}],
     "dnsRecords[0].setIdentifier = 'a'", "not allowed with routing simple"),
    ([{"name": "x", "type": "A", "ttl": 60, "values": ["192.0.2.1"], "routing": "latency",
       "setIdentifier": "a", "region": "mars-1"}], "dnsRecords[0].region = 'mars-1'", "Region"),
    ([{"name": "x", "type": "A", "ttl": 60, "values": ["192.0.2.1"]},
      {"name": "x", "type": "A", "ttl": 60, "values": ["192.0.2.2"]}], "x A (entries [0, 1])", "one entry"),
    ([weighted("a", 1), {**weighted("b", 1), "routing": "latency", "region": "us-east-1",
                         "weight": None}], "mixes routing policies", ""),
    ([{"name": "mv", "type": "A", "alias": {"name": "a.b", "zoneId": "Z1"}, "routing": "multivalue",
       "setIdentifier": "a"}], "dnsRecords[0].alias", "multivalue"),
    ([{"name": "x", "type": "A", "ttl": 60, "values": ["192.0.2.1"], "colour": "red"}],
     "dnsRecords[0].colour = 'red'", "not a field"),
    (["www A 192.0.2.1"], "dnsRecords[0] = 'www A 192.0.2.1'", "map"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("records", "named", "reason"), BAD_RECORDS, ids=[b[1] for b in BAD_RECORDS]
)
def test_a_bad_entry_is_refused_naming_entry_field_and_value(records, named, reason):
    with pytest.raises(DnsRecordError) as failure:
        parse_dns_records([{k: v for k, v in r.items() if v is not None} if isinstance(r, dict) else r
                           for r in records])  # fmt: skip
    assert any(named in problem and reason in problem for problem in failure.value.problems), (
        failure.value.problems
    )


def test_more_than_eight_multivalue_records_are_refused():
    records = [{"name": "mv", "type": "A", "ttl": 60, "values": [f"192.0.2.{i}"],
                "routing": "multivalue", "setIdentifier": f"n{i}"} for i in range(9)]  # fmt: skip
    with pytest.raises(DnsRecordError, match="at most 8 multivalue"):
        parse_dns_records(records)


def test_bad_records_in_config_stop_the_program_before_anything_is_planned():
    bad = json.dumps([weighted("a", 300), weighted("b", 1)])
    overrides = {"domainName": "example.com", "dnsRecords": bad}
    with pytest.raises(ProgramFailed) as failure:
        run_program("dev", config_overrides=overrides)
    error = failure.value.__cause__
    assert isinstance(error, SettingsError)
    assert (
        "platform:dnsRecords[0].weight = 300 must be a whole number from 0 to 255" in error.problems
    )
    assert failure.value.plan.resources == []


def test_records_need_a_domain():
    records = json.dumps(
        [{"name": "@", "type": "MX", "ttl": 60, "values": ["10 mail.example.com"]}]
    )
    with pytest.raises(SettingsError) as failure:
        parse_settings({"dnsRecords": records}, project="platform", stack="dev")
    assert any(
        "platform:dnsRecords" in p and "needs domain_name" in p for p in failure.value.problems
    )
