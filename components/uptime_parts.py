"""Parts of the uptime monitor that are plain values: what a site entry may be, how long a
scheduled run may take, and the CloudWatch dashboard (per site a latency and an availability
widget from the monitor's EMF metrics, whose names are read from the function's own source)."""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from components.packaging import PROJECT_DIR

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


def check_site_url(value: str) -> str | None:
    """A monitored site: an http(s) URL with a host and no credentials."""
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        return "is not a URL"
    del port
    if parts.scheme not in ("http", "https"):
        return "must be an http or https URL"
    if not parts.hostname:
        return "has no host"
    if parts.username is not None or parts.password is not None:
        return "must not hold credentials (user:password@); they would sit in plain config"
    return None


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
