"""`Firewall`: AWS WAF in front of the site (CloudFront, global) and the APIs (regional).

The global web ACL (scope CLOUDFRONT) must live in us-east-1, so it and its IP set and log
group are created through an explicit us-east-1 provider. Its rules, in order:
1. `admin-from-admin-cidr` (when `admin_cidr` is set): /wp-admin and /wp-login.php only from that
   range; /wp-admin/admin-ajax.php stays open (themes call it for every visitor).
2. `rate-limit-per-ip`: a rate-based rule per client IP (`rate_limit` requests in 5 minutes).
3. `media-hotlink-protection` (when the site's hosts are known): requests for the media path that
   carry a Referer naming another site are blocked. The notes' rule also required the web
   server's IP; browsers fetch media from the visitor's address, so that rule blocks everyone.
4. AWS managed rule groups: common (SizeRestrictions_BODY counted, not blocked: WordPress posts
   and uploads exceed 8 KB), known bad inputs (Log4j), SQL injection, WordPress, PHP.
Logs go to a CloudWatch log group named `aws-waf-logs-...` (AWS requires the prefix) with the
`authorization` and `cookie` headers redacted; the group's own resource policy admits the log
delivery (parts.vended_log_policy), declared here rather than created by AWS at deploy time.

The regional web ACL (rate limit, then AWS's baseline groups: common rules and known bad inputs)
is associated with the API Gateway stages.
Docs: https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-list.html
https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html
https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based.html
https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.common.logs import retained_log_group
from components.common.outputs import register_declared_outputs
from components.common.owner import Owner
from components.edge.parts import US_EAST_1, vended_log_policy

# WAF's bounds for a rate-based rule's limit (requests per evaluation window, per key).
MIN_RATE_LIMIT = 10
MAX_RATE_LIMIT = 2_000_000_000
RATE_WINDOW_SECONDS = 300
LOG_GROUP_PREFIX = "aws-waf-logs-"
REDACTED_HEADERS = ("authorization", "cookie")
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesWordPressRuleSet",
    "AWSManagedRulesPHPRuleSet",
)
# AWS's baseline groups on the APIs (no WordPress or PHP behind them).
REGIONAL_MANAGED_RULE_GROUPS = MANAGED_RULE_GROUPS[:2]
# Rules of the common rule set that WordPress trips in normal use: counted, not blocked.
COUNTED_COMMON_RULES = ("SizeRestrictions_BODY",)
ADMIN_PATHS = ("/wp-admin", "/wp-login.php")
ADMIN_AJAX = "/wp-admin/admin-ajax.php"
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")

Statement = dict[str, Any]


def check_rate_limit(limit: int) -> str | None:
    if MIN_RATE_LIMIT <= limit <= MAX_RATE_LIMIT:
        return None
    return f"must be between {MIN_RATE_LIMIT} and {MAX_RATE_LIMIT:,} (WAF's rate-based rule limit)"


@dataclass(frozen=True)
class FirewallArgs:
    """Inputs of `Firewall`: `rate_limit` (requests per client IP in 5 minutes), `admin_cidr`,
    `site_hosts` (hosts whose pages may embed the media), `media_path_prefix` (`/media/`),
    `api_stage_arns` (wiring: the API Gateway stages for the regional ACL), `log_retention_days`.
    """

    rate_limit: int = 2000
    admin_cidr: str | None = None
    site_hosts: tuple[str, ...] = ()
    media_path_prefix: str = "/media/"
    api_stage_arns: Sequence[pulumi.Input[str]] = ()
    log_retention_days: int = 90
    # The explicit us-east-1 provider: a CLOUDFRONT-scope web ACL must be created there.
    us_east_1: aws.Provider | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def validate(self) -> None:
        if (reason := check_rate_limit(self.rate_limit)) is not None:
            raise ValueError(f"rate_limit: {self.rate_limit!r} {reason}")
        if self.admin_cidr is not None:
            network = ipaddress.ip_network(self.admin_cidr, strict=False)
            if network.prefixlen == 0:
                raise ValueError(f"admin_cidr: {self.admin_cidr!r} would admit everyone")
        for host in self.site_hosts:
            if not _HOST.match(host):
                raise ValueError(f"site_hosts: {host!r} is not a lowercase host name")
        if not self.media_path_prefix.startswith("/") or not self.media_path_prefix.endswith("/"):
            raise ValueError(f"media_path_prefix: {self.media_path_prefix!r} must be /like/this/")


# --- statements (plain data) -----------------------------------------------------------------


def _lowercase() -> list[dict[str, Any]]:
    return [{"priority": 0, "type": "LOWERCASE"}]


def uri_starts_with(prefix: str) -> Statement:
    return {
        "byte_match_statement": {
            "field_to_match": {"uri_path": {}},
            "positional_constraint": "STARTS_WITH",
            "search_string": prefix,
            "text_transformations": _lowercase(),
        }
    }


def header_contains(header: str, text: str) -> Statement:
    return {
        "byte_match_statement": {
            "field_to_match": {"single_header": {"name": header}},
            "positional_constraint": "CONTAINS",
            "search_string": text,
            "text_transformations": _lowercase(),
        }
    }


def any_of(statements: list[Statement]) -> Statement:
    return statements[0] if len(statements) == 1 else {"or_statement": {"statements": statements}}


def negated(statement: Statement) -> Statement:
    return {"not_statement": {"statement": statement}}


def admin_statement(ip_set_arn: pulumi.Input[str]) -> Statement:
    """The admin pages (not admin-ajax.php), from outside the admin range."""
    return {
        "and_statement": {
            "statements": [
                any_of([uri_starts_with(path) for path in ADMIN_PATHS]),
                negated(uri_starts_with(ADMIN_AJAX)),
                negated({"ip_set_reference_statement": {"arn": ip_set_arn}}),
            ]
        }
    }


def hotlink_statement(media_prefix: str, site_hosts: Sequence[str]) -> Statement:
    """A media request whose Referer is present and names none of the site's hosts."""
    return {
        "and_statement": {
            "statements": [
                uri_starts_with(media_prefix),
                {
                    "size_constraint_statement": {
                        "field_to_match": {"single_header": {"name": "referer"}},
                        "comparison_operator": "GT",
                        "size": 0,
                        "text_transformations": [{"priority": 0, "type": "NONE"}],
                    }
                },
                negated(any_of([header_contains("referer", f"//{host}/") for host in site_hosts])),
            ]
        }
    }


def rate_statement(limit: int) -> Statement:
    return {
        "rate_based_statement": {
            "limit": limit,
            "aggregate_key_type": "IP",
            "evaluation_window_sec": RATE_WINDOW_SECONDS,
        }
    }


def managed_group(name: str) -> Statement:
    group: dict[str, Any] = {"vendor_name": "AWS", "name": name}
    if name == "AWSManagedRulesCommonRuleSet":
        group["rule_action_overrides"] = [
            {"name": rule, "action_to_use": {"count": {}}} for rule in COUNTED_COMMON_RULES
        ]
    return {"managed_rule_group_statement": group}


def rule(name: str, priority: int, statement: Statement, *, managed: bool = False) -> Statement:
    """A rule that blocks (own rules) or keeps its group's actions (managed groups)."""
    action = {"override_action": {"none": {}}} if managed else {"action": {"block": {}}}
    return {
        "name": name,
        "priority": priority,
        "statement": statement,
        **action,
        "visibility_config": {
            "cloudwatch_metrics_enabled": True,
            "metric_name": name,
            "sampled_requests_enabled": True,
        },
    }


def global_rules(args: FirewallArgs, ip_set_arn: pulumi.Input[str] | None) -> list[Statement]:
    own: list[tuple[str, Statement]] = []
    if ip_set_arn is not None:
        own.append(("admin-from-admin-cidr", admin_statement(ip_set_arn)))
    own.append(("rate-limit-per-ip", rate_statement(args.rate_limit)))
    if args.site_hosts:
        own.append(
            ("media-hotlink-protection", hotlink_statement(args.media_path_prefix, args.site_hosts))
        )
    rules = [rule(name, index, statement) for index, (name, statement) in enumerate(own)]
    return rules + [
        rule(name, len(own) + index, managed_group(name), managed=True)
        for index, name in enumerate(MANAGED_RULE_GROUPS)
    ]


def regional_rules(args: FirewallArgs) -> list[Statement]:
    return [rule("rate-limit-per-ip", 0, rate_statement(args.rate_limit))] + [
        rule(name, 1 + index, managed_group(name), managed=True)
        for index, name in enumerate(REGIONAL_MANAGED_RULE_GROUPS)
    ]


# --- the component -------------------------------------------------------------------------


class Firewall(pulumi.ComponentResource):
    """The global web ACL for CloudFront and the regional one for the API stages."""

    global_web_acl_arn: pulumi.Output[str]
    regional_web_acl_arn: pulumi.Output[str]

    def __init__(self, name: str, args: FirewallArgs, opts: pulumi.ResourceOptions | None = None):
        args.validate()
        super().__init__("platform:waf:Firewall", name, None, opts)
        stack = pulumi.get_stack()
        east = pulumi.ResourceOptions(parent=self, provider=args.us_east_1)
        ip_set_arn = None
        if args.admin_cidr is not None:
            network = ipaddress.ip_network(args.admin_cidr, strict=False)
            ip_set_arn = aws.wafv2.IpSet(
                f"{name}-admin-ips",
                name=f"{name}-{stack}-admin",
                scope="CLOUDFRONT",
                ip_address_version=f"IPV{network.version}",
                addresses=[str(network)],
                opts=east,
            ).arn
        global_acl = self._web_acl(
            name, "global", "CLOUDFRONT", global_rules(args, ip_set_arn), east
        )
        self._logging(
            name,
            "global",
            global_acl,
            args.log_retention_days,
            Owner(self, args.tags, args.us_east_1),
        )
        child = pulumi.ResourceOptions(parent=self)
        regional_acl = self._web_acl(name, "regional", "REGIONAL", regional_rules(args), child)
        self._logging(
            name, "regional", regional_acl, args.log_retention_days, Owner(self, args.tags)
        )
        for index, stage_arn in enumerate(args.api_stage_arns):
            aws.wafv2.WebAclAssociation(
                f"{name}-api-stage-{index}",
                resource_arn=stage_arn,
                web_acl_arn=regional_acl.arn,
                opts=child,
            )
        self.global_web_acl_arn = global_acl.arn
        self.regional_web_acl_arn = regional_acl.arn
        register_declared_outputs(self)

    def _web_acl(
        self,
        name: str,
        role: str,
        scope: str,
        rules: list[Statement],
        opts: pulumi.ResourceOptions,
    ) -> aws.wafv2.WebAcl:
        return aws.wafv2.WebAcl(
            f"{name}-{role}",
            name=f"{name}-{pulumi.get_stack()}-{role}",
            description=f"{role.title()} web ACL of the platform",
            scope=scope,
            default_action={"allow": {}},
            rules=rules,  # pyright: ignore[reportArgumentType]  (plain dicts of the typed shape)
            visibility_config={
                "cloudwatch_metrics_enabled": True,
                "metric_name": f"{name}-{role}",
                "sampled_requests_enabled": True,
            },
            opts=opts,
        )

    def _logging(
        self,
        name: str,
        role: str,
        web_acl: aws.wafv2.WebAcl,
        retention_days: int,
        owner: Owner,
    ) -> None:
        opts = owner.opts
        log_group = retained_log_group(
            f"{name}-{role}-logs",
            owner,
            name=f"{LOG_GROUP_PREFIX}{name}-{pulumi.get_stack()}-{role}",
            retention_days=retention_days,
        )
        # WAF delivers through CloudWatch Logs' log delivery, which the group must admit.
        region = (
            US_EAST_1
            if role == "global"
            else aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        )
        policy = vended_log_policy(f"{name}-{role}-logs", log_group, region, opts)
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-{role}-logging",
            resource_arn=web_acl.arn,
            log_destination_configs=[log_group.arn],
            redacted_fields=[{"single_header": {"name": header}} for header in REDACTED_HEADERS],
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[policy])),
        )
