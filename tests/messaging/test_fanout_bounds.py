"""The fan-out's integer bounds are written once (`FANOUT_BOUNDS`): the Args refuse a value
outside them and the settings refuse the config key that sets it, at the same edge."""

from __future__ import annotations

import pytest

from components.messaging.fanout import FANOUT_BOUNDS, FanoutArgs
from components.messaging.settings import FANOUT_KEYS
from components.settings import SettingsError, parse_settings


@pytest.mark.parametrize("field_name", FANOUT_BOUNDS)
def test_the_args_refuse_a_value_past_each_bound(field_name):
    low, high = FANOUT_BOUNDS[field_name]
    for value in (low - 1, high + 1):
        with pytest.raises(ValueError, match=f"^{field_name}: {value} must be between"):
            FanoutArgs(**{field_name: value})


@pytest.mark.parametrize("field_name", FANOUT_BOUNDS)
def test_the_settings_refuse_the_key_at_the_same_edge(field_name):
    key = FANOUT_KEYS[field_name]
    _, high = FANOUT_BOUNDS[field_name]
    with pytest.raises(SettingsError, match=f"{key}.*{high + 1}"):
        parse_settings({key: str(high + 1)}, project="platform", stack="dev")
