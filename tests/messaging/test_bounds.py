"""Each messaging Args' integer bounds are written once (`..._BOUNDS`): the Args refuse a value
outside them, and the settings refuse the config key that sets it at the same edge."""

from __future__ import annotations

import pytest

from components.messaging.fanout import FANOUT_BOUNDS, FanoutArgs
from components.messaging.settings import FANOUT_KEYS, STREAM_KEYS, UPLOAD_KEYS
from components.messaging.stream import STREAM_BOUNDS, StreamArgs
from components.messaging.uploads import UPLOAD_BOUNDS, UploadPipelineArgs
from components.settings import SettingsError, parse_settings

BOUNDED = [
    (FanoutArgs, FANOUT_BOUNDS, FANOUT_KEYS),
    (StreamArgs, STREAM_BOUNDS, STREAM_KEYS),
    (UploadPipelineArgs, UPLOAD_BOUNDS, UPLOAD_KEYS),
]
FIELDS = [(args, bounds, keys, name) for args, bounds, keys in BOUNDED for name in bounds]


@pytest.mark.parametrize(("args", "bounds", "keys", "field_name"), FIELDS)
def test_the_args_refuse_a_value_past_each_bound(args, bounds, keys, field_name):
    low, high = bounds[field_name]
    for value in (low - 1, high + 1):
        with pytest.raises(ValueError, match=f"^{field_name}: {value} must be between"):
            args(**{field_name: value})


@pytest.mark.parametrize(
    ("args", "bounds", "keys", "field_name"), [f for f in FIELDS if f[3] in f[2]]
)
def test_the_settings_refuse_the_key_at_the_same_edge(args, bounds, keys, field_name):
    key = keys[field_name]
    _, high = bounds[field_name]
    with pytest.raises(SettingsError, match=f"{key}.*{high + 1}"):
        parse_settings({key: str(high + 1)}, project="platform", stack="dev")


def test_the_longest_buffer_interval_firehose_allows_is_a_valid_setting():
    """0 to 900 s: "Valid Range: Minimum value of 0. Maximum value of 900."
    (https://docs.aws.amazon.com/firehose/latest/APIReference/API_BufferingHints.html). The
    freshness alarm then waits past the interval instead of refusing the stack with a field no
    key sets."""
    _, longest = STREAM_BOUNDS["buffer_interval_seconds"]
    settings = parse_settings(
        {"firehoseBufferIntervalSeconds": str(longest)}, project="platform", stack="dev"
    )
    stream = settings.messaging.stream
    assert stream.buffer_interval_seconds == longest
    assert stream.freshness_alarm_seconds > longest
