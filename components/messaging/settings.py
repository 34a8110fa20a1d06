"""The messaging section of the stack config: the Args of `Fanout` (lesson 21), `Stream`
(lesson 22) and `UploadPipeline` (the Lambda lessons)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from components.config import stack
from components.config.reader import Reader, in_range
from components.messaging.fanout import FANOUT_BOUNDS, FanoutArgs, check_queue_name
from components.messaging.parts import VISIBILITY_TO_TIMEOUT_RATIO
from components.messaging.stream import (
    FRESHNESS_MARGIN_SECONDS,
    STREAM_BOUNDS,
    STREAM_MODES,
    StreamArgs,
)
from components.messaging.uploads import UPLOAD_BOUNDS, UploadPipelineArgs, check_upload_prefix

# The config key of each Args field the stack may set, per component.
FANOUT_KEYS = {
    "queue_names": "fanoutQueues",
    "max_receive_count": "queueMaxReceiveCount",
    "visibility_timeout_seconds": "queueVisibilityTimeoutSeconds",
    "retention_seconds": "queueRetentionSeconds",
    "max_message_bytes": "queueMaxMessageBytes",
    "delay_seconds": "queueDelaySeconds",
    "consumer_timeout_seconds": "consumerTimeoutSeconds",
    "batch_size": "consumerBatchSize",
}
STREAM_KEYS = {
    "mode": "streamMode",
    "shard_count": "streamShardCount",
    "retention_hours": "streamRetentionHours",
    "buffer_size_mb": "firehoseBufferSizeMb",
    "buffer_interval_seconds": "firehoseBufferIntervalSeconds",
}
UPLOAD_KEYS = {
    "prefix": "uploadPrefix",
    "retry_attempts": "uploadRetryAttempts",
    "max_event_age_seconds": "uploadMaxEventAgeSeconds",
    "notify_email": "uploadNotifyEmail",
}
KEYS = (
    *FANOUT_KEYS.values(),
    *STREAM_KEYS.values(),
    *UPLOAD_KEYS.values(),
)


@dataclass(frozen=True)
class MessagingSettings:
    fanout: FanoutArgs
    stream: StreamArgs
    uploads: UploadPipelineArgs


def parse(reader: Reader) -> MessagingSettings:
    retention = stack.log_retention(reader, "messagingLogRetentionDays")
    return MessagingSettings(
        fanout=_fanout(reader, retention),
        stream=_stream(reader, retention),
        uploads=_uploads(reader, retention),
    )


def _bounded_reader(
    reader: Reader, defaults: object, keys: Mapping[str, str], bounds: Mapping[str, tuple[int, int]]
) -> Callable[[str], int]:
    """Reads an integer field from its config key (`keys`), within its `bounds` (the Args')."""

    def read(field_name: str) -> int:
        check = in_range(*bounds[field_name])
        return reader.integer(keys[field_name], getattr(defaults, field_name), check)

    return read


def _fanout(reader: Reader, retention: int) -> FanoutArgs:
    defaults = FanoutArgs()
    queues = reader.string_list("fanoutQueues") or defaults.queue_names
    if reader.raw.get("fanoutQueues", "").strip() == "[]":
        reader.problem("fanoutQueues", "[]", "needs at least one queue (the notes' sub)")
    for queue in queues:
        if (reason := check_queue_name(queue)) is not None:
            reader.problem("fanoutQueues", queue, reason)
            queues = defaults.queue_names
    for queue in sorted({queue for queue in queues if queues.count(queue) > 1}):
        reader.problem("fanoutQueues", queue, "is listed more than once")
        queues = defaults.queue_names

    bounded = _bounded_reader(reader, defaults, FANOUT_KEYS, FANOUT_BOUNDS)
    timeout = bounded("consumer_timeout_seconds")
    visibility = bounded("visibility_timeout_seconds")
    needed = VISIBILITY_TO_TIMEOUT_RATIO * timeout
    if visibility < needed:
        reader.problem(
            "queueVisibilityTimeoutSeconds",
            reader.raw.get("queueVisibilityTimeoutSeconds", str(visibility)),
            f"must be at least six times consumerTimeoutSeconds ({timeout}): {needed}",
        )
    return reader.build(
        lambda: FanoutArgs(
            queue_names=queues,
            max_receive_count=bounded("max_receive_count"),
            consumer_timeout_seconds=timeout,
            visibility_timeout_seconds=max(visibility, needed),
            retention_seconds=bounded("retention_seconds"),
            max_message_bytes=bounded("max_message_bytes"),
            delay_seconds=bounded("delay_seconds"),
            batch_size=bounded("batch_size"),
            log_retention_days=retention,
        ),
        FanoutArgs,
        FANOUT_KEYS,
    )


def _stream(reader: Reader, retention: int) -> StreamArgs:
    defaults = StreamArgs()
    bounded = _bounded_reader(reader, defaults, STREAM_KEYS, STREAM_BOUNDS)
    interval = bounded("buffer_interval_seconds")
    return reader.build(
        lambda: StreamArgs(
            mode=reader.choice("streamMode", defaults.mode, STREAM_MODES),
            shard_count=reader.integer("streamShardCount", defaults.shard_count, in_range(1, 500)),
            retention_hours=bounded("retention_hours"),
            buffer_size_mb=bounded("buffer_size_mb"),
            buffer_interval_seconds=interval,
            # Records wait out the interval by design: the freshness alarm waits longer.
            freshness_alarm_seconds=max(
                defaults.freshness_alarm_seconds, interval + FRESHNESS_MARGIN_SECONDS
            ),
            log_retention_days=retention,
        ),
        StreamArgs,
        STREAM_KEYS,
    )


def _uploads(reader: Reader, retention: int) -> UploadPipelineArgs:
    defaults = UploadPipelineArgs()
    bounded = _bounded_reader(reader, defaults, UPLOAD_KEYS, UPLOAD_BOUNDS)
    email = reader.email("uploadNotifyEmail")
    return reader.build(
        lambda: UploadPipelineArgs(
            prefix=reader.checked("uploadPrefix", defaults.prefix, check_upload_prefix),
            retry_attempts=bounded("retry_attempts"),
            max_event_age_seconds=bounded("max_event_age_seconds"),
            notify_email=email,
            log_retention_days=retention,
        ),
        UploadPipelineArgs,
        UPLOAD_KEYS,
    )
