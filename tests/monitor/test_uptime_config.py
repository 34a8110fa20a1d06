"""MonitorConfig from environment variables: defaults, parsing, errors naming variable and value."""

from __future__ import annotations

import pytest
from monitor.checks import Site
from monitor.config import ConfigError, MonitorConfig, parse_sites

TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:uptime-alerts"
REQUIRED = {"TABLE_NAME": "uptime", "TOPIC_ARN": TOPIC_ARN}


def test_defaults_from_a_minimal_environment():
    config = MonitorConfig.from_environ(REQUIRED)

    assert config == MonitorConfig(table_name="uptime", topic_arn=TOPIC_ARN)
    assert config.sites == ()
    assert config.failure_threshold == 2
    assert config.timeout_seconds == 10.0
    assert config.max_workers == 32
    assert config.max_redirects == 5
    assert config.history_ttl_hours == 48
    assert config.metrics_namespace == "UptimeMonitor"
    assert (config.stack_name, config.cert_expiry_days, config.webhook_url) == ("", 14, None)
    assert config.allow_loopback is False


def test_every_variable_is_read():
    config = MonitorConfig.from_environ(
        {
            **REQUIRED,
            "SITES": '["https://a.example.com/", {"url": "https://b.example.com/health",'
            ' "keyword": "ok", "forbidden_keyword": "error", "expected_status": [200, 204]}]',
            "FAILURE_THRESHOLD": "3",
            "TIMEOUT_SECONDS": "2.5",
            "MAX_WORKERS": "4",
            "MAX_REDIRECTS": "0",
            "HISTORY_TTL_HOURS": "72",
            "METRICS_NAMESPACE": "Platform/Uptime",
            "ALLOW_LOOPBACK": "true",
            "STACK_NAME": "prod",
            "CERT_EXPIRY_DAYS": "30",
            "WEBHOOK_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hook-AbCdEf",
        }
    )

    assert config.sites == (
        Site("https://a.example.com/"),
        Site(
            "https://b.example.com/health",
            keyword="ok",
            expected_statuses=frozenset({200, 204}),
            forbidden_keyword="error",
        ),
    )
    assert (config.stack_name, config.cert_expiry_days) == ("prod", 30)
    assert config.webhook_secret_arn.endswith(":secret:hook-AbCdEf")
    assert config.webhook_url is None
    assert "token" not in repr(config)
    assert (config.failure_threshold, config.timeout_seconds, config.max_workers) == (3, 2.5, 4)
    assert (config.max_redirects, config.history_ttl_hours) == (0, 72)
    assert config.metrics_namespace == "Platform/Uptime"
    assert config.allow_loopback is False


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"TABLE_NAME": ""}, "TABLE_NAME=''"),
        ({"TOPIC_ARN": "not-an-arn"}, "TOPIC_ARN='not-an-arn'"),
        ({"FAILURE_THRESHOLD": "two"}, "FAILURE_THRESHOLD='two': must be an integer"),
        ({"FAILURE_THRESHOLD": "0"}, "FAILURE_THRESHOLD=0: must be at least 1"),
        ({"TIMEOUT_SECONDS": "0"}, "TIMEOUT_SECONDS=0.0"),
        ({"TIMEOUT_SECONDS": "30"}, "TIMEOUT_SECONDS=30.0: must be above 0 and at most 25"),
        ({"TIMEOUT_SECONDS": "nan"}, "TIMEOUT_SECONDS='nan': must be a finite number"),
        ({"TIMEOUT_SECONDS": "soon"}, "TIMEOUT_SECONDS='soon': must be a number"),
        ({"MAX_WORKERS": "0"}, "MAX_WORKERS=0"),
        ({"MAX_REDIRECTS": "-1"}, "MAX_REDIRECTS=-1"),
        ({"HISTORY_TTL_HOURS": "12"}, "HISTORY_TTL_HOURS=12: must be at least 24"),
        ({"METRICS_NAMESPACE": "bad\nname"}, "METRICS_NAMESPACE='bad\\nname'"),
        ({"SITES": "not json"}, "SITES='not json': is not valid JSON"),
        ({"SITES": '{"url": "https://a.example.com/"}'}, "must be a JSON list"),
        ({"SITES": '["ftp://a.example.com/"]'}, "SITES[0]='ftp://a.example.com/': scheme 'ftp'"),
        ({"SITES": '["https://a.example.com/", 42]'}, "SITES[1]=42"),
        ({"SITES": '[{"url": "https://a.example.com/", "keywrd": "x"}]'}, "unknown keys"),
        ({"SITES": '[{"url": "https://a.example.com/", "keyword": ""}]'}, "keyword must be"),
        ({"SITES": '[{"url": "https://a.example.com/", "expected_status": [700]}]'}, "[700]"),
        ({"SITES": '["https://a.example.com/", "https://a.example.com/"]'}, "more than once"),
        ({"SITES": '["https://a.example.com/' + "x" * 1100 + '"]'}, "longer than 1024"),
        ({"CERT_EXPIRY_DAYS": "-1"}, "CERT_EXPIRY_DAYS=-1: must be 0 (off) or more"),
        ({"WEBHOOK_SECRET_ARN": "hook"}, "WEBHOOK_SECRET_ARN='hook': must be a Secrets Manager"),
    ],
)
def test_bad_values_are_rejected_naming_variable_and_value(overrides: dict[str, str], message: str):
    with pytest.raises(ConfigError) as error:
        MonitorConfig.from_environ({**REQUIRED, **overrides})

    assert message in str(error.value)


@pytest.mark.parametrize("missing", ["TABLE_NAME", "TOPIC_ARN"])
def test_required_variables(missing: str):
    environ = {name: value for name, value in REQUIRED.items() if name != missing}

    with pytest.raises(ConfigError, match=f"{missing}=None: is required"):
        MonitorConfig.from_environ(environ)


def test_sites_accept_internal_looking_urls_syntactically():
    # Addresses are judged at check time (DNS changes); only the syntax is checked here.
    assert parse_sites('["http://10.0.0.1/"]') == (Site("http://10.0.0.1/"),)
