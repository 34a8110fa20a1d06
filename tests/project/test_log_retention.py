"""One stack-wide intent, one setting: `logRetentionDays` sets every log group's retention.

The five per-system keys it replaces still work for one release, each with a warning that
names the new key (docs/configuration.md, "Renamed settings")."""

from __future__ import annotations

import pytest

from components.settings import DEPRECATED_KEYS, SettingsError, parse_settings

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def retentions(plan) -> dict[str, int]:
    return {r.name: r.inputs["retentionInDays"] for r in plan.resources if r.type == LOG_GROUP}


@pytest.mark.parametrize(("stack", "days"), [("dev", 30), ("prod", 365)])
def test_every_log_group_of_the_stack_keeps_the_stack_wide_retention(stack_plan, stack, days):
    groups = retentions(stack_plan(stack))
    # Flow logs, five functions, Firehose, CloudFront and both web ACLs.
    assert len(groups) >= 10
    assert set(groups.values()) == {days}, groups


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_log_group_is_tagged_with_its_name(stack_plan, stack):
    """All are built by components.common.logs.retained_log_group, which tags each one."""
    untagged = [
        r.name
        for r in stack_plan(stack).resources
        if r.type == LOG_GROUP and (r.inputs.get("tags") or {}).get("Name") != r.name
    ]
    assert untagged == []


def test_one_key_sets_every_system():
    settings = parse_settings({"logRetentionDays": "365"}, project="platform", stack="prod")
    assert settings.network.flow_log_retention_days == 365
    assert settings.api.log_retention_days == 365
    assert settings.monitor.log_retention_days == 365
    assert settings.edge.log_retention_days == 365
    messaging = settings.messaging
    assert {
        messaging.fanout.log_retention_days,
        messaging.stream.log_retention_days,
        messaging.uploads.log_retention_days,
    } == {365}
    assert settings.warnings == ()


@pytest.mark.parametrize("old_key", DEPRECATED_KEYS)
def test_a_renamed_key_still_works_for_a_release_and_names_the_new_key(old_key):
    settings = parse_settings(
        {"logRetentionDays": "30", old_key: "365"}, project="platform", stack="dev"
    )
    kept = {
        "flowLogRetentionDays": settings.network.flow_log_retention_days,
        "apiLogRetentionDays": settings.api.log_retention_days,
        "monitorLogRetentionDays": settings.monitor.log_retention_days,
        "messagingLogRetentionDays": settings.messaging.fanout.log_retention_days,
        "edgeLogRetentionDays": settings.edge.log_retention_days,
    }
    assert kept.pop(old_key) == 365
    assert set(kept.values()) == {30}
    (warning,) = settings.warnings
    assert f"platform:{old_key} is deprecated" in warning
    assert "platform:logRetentionDays" in warning


def test_a_bad_stack_wide_retention_is_reported_once():
    with pytest.raises(SettingsError) as failure:
        parse_settings({"logRetentionDays": "45"}, project="platform", stack="dev")
    assert failure.value.problems == [
        "platform:logRetentionDays = '45' is not a retention CloudWatch Logs accepts (one of "
        "1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, "
        "2557, 2922, 3288, 3653)"
    ]
