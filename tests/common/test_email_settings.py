"""An email address setting is checked once, the same way for every system: the settings name
the config key and the value, the Args name the field."""

from __future__ import annotations

import pytest

from components.messaging.uploads import UploadPipelineArgs
from components.monitor.args import UptimeMonitorArgs
from components.settings import SettingsError, parse_settings


@pytest.mark.parametrize("key", ["alertEmail", "uploadNotifyEmail"])
def test_the_settings_refuse_an_address_without_a_domain_naming_the_key(key):
    with pytest.raises(SettingsError, match=f"platform:{key} = 'ops-at-example' is not an email"):
        parse_settings({key: "ops-at-example"}, project="platform", stack="dev")


@pytest.mark.parametrize(
    ("key", "read"),
    [
        ("alertEmail", lambda settings: settings.monitor.alert_email),
        ("uploadNotifyEmail", lambda settings: settings.messaging.uploads.notify_email),
    ],
)
def test_the_settings_take_an_address_and_treat_empty_as_unset(key, read):
    given = parse_settings({key: "ops@example.com"}, project="platform", stack="dev")
    assert read(given) == "ops@example.com"
    assert read(parse_settings({key: " "}, project="platform", stack="dev")) is None


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: UptimeMonitorArgs(alert_email="ops@localhost"), "alert_email"),
        (lambda: UploadPipelineArgs(notify_email="ops@localhost"), "notify_email"),
    ],
)
def test_the_args_refuse_an_address_naming_the_field(build, field):
    with pytest.raises(ValueError, match=f"^{field}: 'ops@localhost' is not an email address"):
        build()
