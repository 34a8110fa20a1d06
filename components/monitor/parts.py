"""Parts of the uptime monitor that are plain values: what a site entry may be, how long a
scheduled run may take, and the CloudWatch dashboard (per site a latency and an availability
widget from the monitor's EMF metrics, whose names are read from the function's own source)."""

from __future__ import annotations

import ast
import importlib.util
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pulumi

from components.common.kms import MAX_DELETION_WINDOW_DAYS, CustomerKey, customer_key
from components.lambdas.packaging import PROJECT_DIR

FUNCTION_DIR = PROJECT_DIR / "functions" / "uptime_monitor"
# Lambda's longest timeout.
MAX_LAMBDA_TIMEOUT_SECONDS = 900
# Time a scheduled run needs besides the checks themselves: start, DynamoDB, SNS.
SCHEDULED_MARGIN_SECONDS = 30


def module_constants(path: Path, names: Sequence[str]) -> dict[str, Any]:
    """Literal module-level constants of a function's source file, read without importing it
    (the function's package is not importable from the program, and must not be imported)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in names:
                found[target.id] = ast.literal_eval(node.value)
    missing = sorted(set(names) - set(found))
    if missing:
        raise LookupError(f"{path} no longer defines {', '.join(missing)}")
    return found


_METRICS = module_constants(
    FUNCTION_DIR / "monitor" / "metrics.py",
    ("DEFAULT_NAMESPACE", "SITE_DIMENSION", "UP_METRIC", "LATENCY_METRIC"),
)
METRICS_NAMESPACE: str = _METRICS["DEFAULT_NAMESPACE"]
SITE_DIMENSION: str = _METRICS["SITE_DIMENSION"]
UP_METRIC: str = _METRICS["UP_METRIC"]
LATENCY_METRIC: str = _METRICS["LATENCY_METRIC"]


Site = str | Mapping[str, Any]


def site_url(site: Site) -> str:
    return site if isinstance(site, str) else str(site.get("url", ""))


def _ssrf_rules() -> ModuleType:
    """The monitor's own SSRF rules (`monitor/ssrf.py`, standard library only), loaded from its
    file: the plan refuses a site by the very rules the function applies before each check."""
    path = FUNCTION_DIR / "monitor" / "ssrf.py"
    spec = importlib.util.spec_from_file_location("_uptime_monitor_ssrf_rules", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


_SSRF = _ssrf_rules()
_SITE_RULES = module_constants(
    FUNCTION_DIR / "monitor" / "config.py", ("SITE_KEYS", "MAX_SITE_URL_LENGTH")
)
SITE_KEYS: tuple[str, ...] = tuple(_SITE_RULES["SITE_KEYS"])
MAX_SITE_URL_LENGTH: int = _SITE_RULES["MAX_SITE_URL_LENGTH"]


def url_refusal(url: str) -> str | None:
    """Why the monitor would refuse to fetch `url` whatever DNS says (scheme, credentials,
    loopback, private, link-local and metadata addresses and names...), or None."""
    reason = _SSRF.static_refusal(url)
    return None if reason is None else f"is refused: {reason}"


def site_problem(site: object) -> str | None:
    """Why a `sites` entry cannot be deployed, or None. An entry is a URL, or an object with
    `url` and optionally `keyword`, `forbidden_keyword` and `expected_status` (as the function
    reads them from SITES)."""
    if isinstance(site, str):
        site = {"url": site}
    if not isinstance(site, Mapping):
        return "must be a URL or an object with a url"
    unknown = sorted(set(site) - set(SITE_KEYS))
    if unknown:
        return f"has unknown keys {unknown} (known: {', '.join(SITE_KEYS)})"
    url = site.get("url")
    if not isinstance(url, str) or not url:
        return "needs a url"
    if len(url) > MAX_SITE_URL_LENGTH:
        return f"has a url longer than {MAX_SITE_URL_LENGTH} characters"
    for key in ("keyword", "forbidden_keyword"):
        value = site.get(key)
        if value is not None and not (isinstance(value, str) and value):
            return f"{key} must be a non-empty string"
    statuses = site.get("expected_status")
    if statuses is not None and not _http_statuses(statuses):
        return "expected_status must be a non-empty list of HTTP statuses (100 to 599)"
    return url_refusal(url)


def _http_statuses(value: object) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(type(status) is int and 100 <= status <= 599 for status in value)
    )


HTTP_ACTIONS = ("dynamodb:GetItem", "dynamodb:Query")
# PutItem writes state (conditionally) and history; UpdateItem adds to the daily rollups.
SCHEDULED_TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
SCHEDULED_TOPIC_ACTIONS = ("sns:Publish",)

# The alert topic is encrypted with a customer managed key of the monitor's own: the AWS-managed
# alias/aws/sns admits only this account's principals, and CloudWatch (the errors alarm, the web
# tier's and the edge's alarms) publishes to the topic too. The key's policy admits CloudWatch as
# SNS documents for AWS services that publish to encrypted topics; the scheduled role, which
# publishes too, gets what SNS asks of a publisher: kms:GenerateDataKey and kms:Decrypt on the key.
# https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
# https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#send-to-encrypted-topic
ALARM_SERVICE = "cloudwatch.amazonaws.com"
ALERT_KEY_SERVICE_USERS = (ALARM_SERVICE,)
SCHEDULED_KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")


def alert_key(name: str, tags: dict[str, str], *, parent: pulumi.Resource) -> CustomerKey:
    """The alert topic's key: rotated yearly, aliased, CloudWatch admitted as documented."""
    return customer_key(
        name,
        description="Uptime monitor alert topic",
        deletion_window_days=MAX_DELETION_WINDOW_DAYS,
        service_users=ALERT_KEY_SERVICE_USERS,
        tags=tags,
        parent=parent,
    )


def alert_topic_policy(
    topic_arn: str, account_id: str, partition: str, region: str
) -> dict[str, Any]:
    """The alert topic's policy: CloudWatch alarms of this account and Region may publish (an
    alarm publishes as cloudwatch.amazonaws.com, aws:SourceArn its ARN; an alarm's topic must be
    in its Region). The account's own principals keep what their IAM policies allow.
    https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger
    https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html"""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowThisAccountsAlarms",
                "Effect": "Allow",
                "Principal": {"Service": ALARM_SERVICE},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:*"
                    },
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            }
        ],
    }


def role_statements(
    table_arn: pulumi.Input[str],
    topic_arn: pulumi.Input[str],
    key_arn: pulumi.Input[str],
    webhook_secret_arn: pulumi.Input[str] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """What each function's role may do besides writing its logs: exactly what it does (the
    scheduled function reads its webhook's secret when it has one)."""
    webhook = (
        [
            {
                "Sid": "ReadWebhookSecret",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": webhook_secret_arn,
            }
        ]
        if webhook_secret_arn is not None
        else []
    )
    return {
        "http": [
            {
                "Sid": "ReadSiteState",
                "Effect": "Allow",
                "Action": list(HTTP_ACTIONS),
                "Resource": table_arn,
            }
        ],
        "scheduled": [
            {
                "Sid": "ReadWriteSiteState",
                "Effect": "Allow",
                "Action": list(SCHEDULED_TABLE_ACTIONS),
                "Resource": table_arn,
            },
            {
                "Sid": "PublishAlerts",
                "Effect": "Allow",
                "Action": list(SCHEDULED_TOPIC_ACTIONS),
                "Resource": topic_arn,
            },
            {
                "Sid": "EncryptAlerts",
                "Effect": "Allow",
                "Action": list(SCHEDULED_KEY_ACTIONS),
                "Resource": key_arn,
            },
            *webhook,
        ],
    }


def schedule_expression(minutes: int) -> str:
    """EventBridge's rate expression: `rate(1 minute)`, `rate(5 minutes)`."""
    return f"rate({minutes} minute{'' if minutes == 1 else 's'})"


def scheduled_timeout_needed(site_count: int, max_workers: int, check_timeout: int) -> int:
    """Seconds a scheduled run may take: every batch of checks at its deadline, plus a margin."""
    batches = math.ceil(max(site_count, 1) / max_workers)
    return batches * check_timeout + SCHEDULED_MARGIN_SECONDS


def scheduled_timeout_seconds(site_count: int, max_workers: int, check_timeout: int) -> int:
    return min(
        scheduled_timeout_needed(site_count, max_workers, check_timeout),
        MAX_LAMBDA_TIMEOUT_SECONDS,
    )


def dashboard_body(urls: Sequence[str], region: str, scheduled_function: str) -> dict[str, Any]:
    """Per site, a latency and an availability widget (the monitor's EMF metrics); then the
    scheduled function's invocations, errors and duration."""
    width, height = 12, 6
    widgets: list[dict[str, Any]] = []
    for row, url in enumerate(urls):
        for column, (title, metric, stat, unit_label) in enumerate(
            (
                ("Latency", LATENCY_METRIC, "p90", "ms"),
                ("Availability", UP_METRIC, "Average", "fraction up"),
            )
        ):
            properties: dict[str, Any] = {
                "title": f"{title}: {url}",
                "region": region,
                "view": "timeSeries",
                "stat": stat,
                "period": 300,
                "metrics": [[METRICS_NAMESPACE, metric, SITE_DIMENSION, url]],
                "yAxis": {"left": {"label": unit_label, "min": 0}},
            }
            if metric == UP_METRIC:
                properties["yAxis"]["left"]["max"] = 1
            widgets.append(
                {
                    "type": "metric",
                    "x": column * width,
                    "y": row * height,
                    "width": width,
                    "height": height,
                    "properties": properties,
                }
            )
    widgets.append(
        {
            "type": "metric",
            "x": 0,
            "y": len(urls) * height,
            "width": 2 * width,
            "height": height,
            "properties": {
                "title": "Scheduled checks: invocations, errors, duration",
                "region": region,
                "view": "timeSeries",
                "stat": "Sum",
                "period": 300,
                "metrics": [
                    ["AWS/Lambda", "Invocations", "FunctionName", scheduled_function],
                    ["AWS/Lambda", "Errors", "FunctionName", scheduled_function],
                    [
                        "AWS/Lambda",
                        "Duration",
                        "FunctionName",
                        scheduled_function,
                        {"stat": "Maximum", "yAxis": "right"},
                    ],
                ],
            },
        }
    )
    return {"widgets": widgets}
