"""DNS records from config (`dnsRecords`), checked against Route 53's rules before a plan.

Each entry is a record set: `name` (relative to the domain, `@` for the apex, or a full name in
it), `type`, either `values` with a `ttl` or an `alias` (`name`, `zoneId`,
`evaluateTargetHealth`), and a `routing` policy with its fields:

| routing | fields | rules (Route 53 Developer Guide, "Choosing a routing policy") |
| --- | --- | --- |
| simple | - | one record set per name and type; no set identifier |
| weighted | `setIdentifier`, `weight` | weight 0 to 255 |
| latency | `setIdentifier`, `region` | an AWS Region |
| failover | `setIdentifier`, `failover` | exactly one PRIMARY and one SECONDARY; the primary has a `healthCheckId` (or an alias that evaluates target health) |
| geolocation | `setIdentifier`, `continent` / `country` / `subdivision` | the set has a default record (`country: "*"`) |
| multivalue | `setIdentifier`, optional `healthCheckId` | values only (no alias), at most 8 record sets |

Set identifiers are unique within a name and type, and one name and type use one policy.
Value formats (as the notes list them): MX `10 mail.example.com`, TXT (SPF) `v=spf1 ... -all`
(quoted for Route 53 here), SRV `priority weight port target`, CAA `0 issue "amazon.com"`.
https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy.html
https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/ResourceRecordTypes.html
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ROUTING_POLICIES = ("simple", "weighted", "latency", "failover", "geolocation", "multivalue")
RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "TXT", "SRV", "CAA", "NS")
MAX_WEIGHT = 255
MAX_MULTIVALUE_RECORDS = 8
MAX_TTL = 2147483647
DEFAULT_GEOLOCATION = "*"
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_LABEL = re.compile(r"^(\*|@|[a-z0-9_]([a-z0-9_-]*[a-z0-9])?)(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9])?)*$")
_MX = re.compile(r"^\d{1,5} [A-Za-z0-9.-]+\.?$")
_SRV = re.compile(r"^\d{1,5} \d{1,5} \d{1,5} [A-Za-z0-9._-]+\.?$")
_CAA = re.compile(r'^\d{1,3} (issue|issuewild|iodef) "[^"]*"$')
_FIELDS = {
    "name", "type", "ttl", "values", "alias", "routing", "setIdentifier", "weight", "region",
    "failover", "healthCheckId", "continent", "country", "subdivision",
}  # fmt: skip
_GEO_FIELDS = ("continent", "country", "subdivision")


class DnsRecordError(ValueError):
    """Every problem of the `dnsRecords` entries, each naming the entry, the field and value."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Alias:
    name: str
    zone_id: str
    evaluate_target_health: bool = False


@dataclass(frozen=True)
class DnsRecord:
    """One record set, validated. `name` is relative to the zone's domain (`@` = apex)."""

    name: str
    type: str
    routing: str = "simple"
    ttl: int | None = None
    values: tuple[str, ...] = ()
    alias: Alias | None = None
    set_identifier: str | None = None
    weight: int | None = None
    region: str | None = None
    failover: str | None = None
    health_check_id: str | None = None
    geolocation: dict[str, str] = field(default_factory=dict)

    def fqdn(self, domain: str) -> str:
        return domain if self.name == "@" else f"{self.name}.{domain}"

    def key(self) -> str:
        """A stable resource-name part: name, type and set identifier."""
        name = "apex" if self.name == "@" else self.name.replace("*", "wildcard")
        parts = [name, self.type.lower(), *([self.set_identifier] if self.set_identifier else [])]
        return re.sub(r"[^A-Za-z0-9]+", "-", "-".join(parts)).strip("-")


def _route53_value(record_type: str, value: str) -> str:
    """TXT strings are quoted for Route 53 (SPF too); other values are sent as written."""
    if record_type == "TXT" and not (value.startswith('"') and value.endswith('"')):
        return f'"{value}"'
    return value


class _Entry:
    """Reads one entry, collecting its problems with `dnsRecords[i].field = value reason`."""

    def __init__(self, index: int, raw: Mapping[str, Any], key: str, problems: list[str]):
        self.index, self.raw, self.key, self.problems = index, raw, key, problems

    def problem(self, name: str, reason: str) -> None:
        value = self.raw.get(name)
        self.problems.append(f"{self.key}[{self.index}].{name} = {value!r} {reason}")

    def text(self, name: str) -> str | None:
        value = self.raw.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            self.problem(name, "must be a non-empty string")
            return None
        return value

    def whole(self, name: str, low: int, high: int) -> int | None:
        value = self.raw.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem(name, f"must be a whole number from {low} to {high}")
            return None
        return value


def _values(entry: _Entry, record_type: str) -> tuple[str, ...]:
    raw = entry.raw.get("values")
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw or not all(isinstance(v, str) and v for v in raw):
        entry.problem("values", "must be a non-empty list of strings")
        return ()
    formats = {"MX": _MX, "SRV": _SRV, "CAA": _CAA}
    pattern = formats.get(record_type)
    for value in raw:
        if pattern is not None and not pattern.match(value):
            entry.problem(
                "values", f"holds {value!r}, not a {record_type} value as Route 53 takes it"
            )
    return tuple(_route53_value(record_type, value) for value in raw)


def _alias(entry: _Entry) -> Alias | None:
    raw = entry.raw.get("alias")
    if raw is None:
        return None
    if not isinstance(raw, dict) or not {"name", "zoneId"} <= set(raw):
        entry.problem("alias", "must be a map with name and zoneId (and evaluateTargetHealth)")
        return None
    return Alias(str(raw["name"]), str(raw["zoneId"]), bool(raw.get("evaluateTargetHealth")))


def _record(entry: _Entry) -> DnsRecord | None:
    unknown = sorted(set(entry.raw) - _FIELDS)
    for name in unknown:
        entry.problem(name, f"is not a field of a DNS record (known: {', '.join(sorted(_FIELDS))})")
    name = entry.text("name")
    if name is not None and not _LABEL.match(name):
        entry.problem("name", "must be @, or labels relative to the domain (like www or _sip._tcp)")
    record_type = entry.text("type")
    if record_type is not None and record_type not in RECORD_TYPES:
        entry.problem("type", f"must be one of {', '.join(RECORD_TYPES)}")
    routing = entry.raw.get("routing", "simple")
    if routing not in ROUTING_POLICIES:
        entry.problem("routing", f"must be one of {', '.join(ROUTING_POLICIES)}")
    if name is None or record_type not in RECORD_TYPES or routing not in ROUTING_POLICIES:
        if name is None:
            entry.problem("name", "is required")
        return None
    values, alias = _values(entry, record_type), _alias(entry)
    ttl = entry.whole("ttl", 0, MAX_TTL)
    if bool(values) == (alias is not None):
        entry.problem("values", "or alias: give exactly one of them")
    if values and ttl is None:
        entry.problem("ttl", "is required for a record with values (an alias has none)")
    if alias is not None and ttl is not None:
        entry.problem("ttl", "must not be set on an alias record (Route 53 uses the target's)")
    set_identifier = entry.text("setIdentifier")
    if (routing == "simple") != (set_identifier is None):
        entry.problem("setIdentifier", f"is {'not allowed' if routing == 'simple' else 'required'} "
                      f"with routing {routing}")  # fmt: skip
    record = DnsRecord(
        name=name,
        type=record_type,
        routing=routing,
        ttl=ttl,
        values=values,
        alias=alias,
        set_identifier=set_identifier,
        weight=entry.whole("weight", 0, MAX_WEIGHT),
        region=entry.text("region"),
        failover=entry.text("failover"),
        health_check_id=entry.text("healthCheckId"),
        geolocation={k: v for k in _GEO_FIELDS if (v := entry.text(k)) is not None},
    )
    _check_policy_fields(entry, record)
    return record


def _check_policy_fields(entry: _Entry, record: DnsRecord) -> None:
    required = {
        "weighted": ("weight", record.weight),
        "latency": ("region", record.region),
        "failover": ("failover", record.failover),
    }
    if record.routing in required:
        name, value = required[record.routing]
        if value is None:
            entry.problem(name, f"is required with routing {record.routing}")
    for name, value, policy in (
        ("weight", record.weight, "weighted"),
        ("region", record.region, "latency"),
        ("failover", record.failover, "failover"),
    ):
        if value is not None and record.routing != policy:
            entry.problem(name, f"is only used with routing {policy}")
    if record.region is not None and not _REGION.match(record.region):
        entry.problem("region", "is not an AWS Region name (like eu-west-1)")
    if record.failover is not None and record.failover not in ("PRIMARY", "SECONDARY"):
        entry.problem("failover", "must be PRIMARY or SECONDARY")
    if (record.routing == "geolocation") != bool(record.geolocation):
        entry.problem("country", "or continent/subdivision: required with, and only with, routing "
                      "geolocation")  # fmt: skip
    if record.routing == "multivalue" and record.alias is not None:
        entry.problem("alias", "is not allowed with routing multivalue (values only)")


def _check_sets(records: list[tuple[int, DnsRecord]], key: str, problems: list[str]) -> None:
    """Rules across the record sets of one name and type."""
    groups: dict[tuple[str, str], list[tuple[int, DnsRecord]]] = defaultdict(list)
    for index, record in records:
        groups[record.name, record.type].append((index, record))
    for (name, record_type), members in groups.items():
        where = f"{key}: {name} {record_type} (entries {[index for index, _ in members]})"
        policies = {record.routing for _, record in members}
        if len(policies) > 1:
            problems.append(f"{where} mixes routing policies {sorted(policies)}; use one")
            continue
        policy = policies.pop()
        identifiers = [record.set_identifier for _, record in members]
        if policy == "simple" and len(members) > 1:
            problems.append(f"{where}: a simple record set is one entry; list all its values")
        if len(set(identifiers)) != len(identifiers):
            problems.append(f"{where}: set identifiers {identifiers} must be unique")
        if policy == "failover":
            roles = sorted(record.failover or "" for _, record in members)
            if roles != ["PRIMARY", "SECONDARY"]:
                problems.append(
                    f"{where}: a failover pair is one PRIMARY and one SECONDARY, not {roles}"
                )
            for index, record in members:
                checked = record.alias is not None and record.alias.evaluate_target_health
                if record.failover == "PRIMARY" and record.health_check_id is None and not checked:
                    problems.append(
                        f"{key}[{index}].healthCheckId = None is required on the PRIMARY of a "
                        "failover pair (or an alias with evaluateTargetHealth)"
                    )
        if policy == "geolocation" and not any(
            record.geolocation.get("country") == DEFAULT_GEOLOCATION for _, record in members
        ):
            problems.append(f'{where}: a geolocation set needs a default record (country: "*")')
        if policy == "multivalue" and len(members) > MAX_MULTIVALUE_RECORDS:
            problems.append(f"{where}: at most {MAX_MULTIVALUE_RECORDS} multivalue record sets")


def parse_dns_records(raw: Any, key: str = "dnsRecords") -> tuple[DnsRecord, ...]:
    """The entries of `raw` (a list of maps) as `DnsRecord`s, or `DnsRecordError`."""
    if not isinstance(raw, list):
        raise DnsRecordError([f"{key} = {raw!r} must be a list of records"])
    problems: list[str] = []
    records: list[tuple[int, DnsRecord]] = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            problems.append(f"{key}[{index}] = {entry!r} must be a map of record fields")
            continue
        record = _record(_Entry(index, entry, key, problems))
        if record is not None:
            records.append((index, record))
    _check_sets(records, key, problems)
    if problems:
        raise DnsRecordError(problems)
    return tuple(record for _, record in records)
