"""The messaging section of the stack config: the Args of `Fanout` (lesson 21), `Stream`
(lesson 22) and `UploadPipeline` (the Lambda lessons)."""

from __future__ import annotations

from dataclasses import dataclass

from components.common.shared import is_email_address
from components.config import stack
from components.config.reader import Reader, in_range
from components.messaging.fanout import FANOUT_BOUNDS, FanoutArgs, check_queue_name
from components.messaging.parts import VISIBILITY_TO_TIMEOUT_RATIO
from components.messaging.stream import (
    MAX_BUFFER_MB,
    MAX_BUFFER_SECONDS,
    MAX_RETENTION_HOURS,
    MIN_BUFFER_MB,
    MIN_RETENTION_HOURS,
    STREAM_MODES,
    StreamArgs,
)
from components.messaging.uploads import (
    MAX_EVENT_AGE_SECONDS,
    MAX_RETRY_ATTEMPTS,
    MIN_EVENT_AGE_SECONDS,
    UploadPipelineArgs,
    check_upload_prefix,
)

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

    def bounded(field_name: str) -> int:
        """The config key of `field_name` (FANOUT_KEYS), within its FANOUT_BOUNDS."""
        check = in_range(*FANOUT_BOUNDS[field_name])
        return reader.integer(FANOUT_KEYS[field_name], getattr(defaults, field_name), check)

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
    return reader.build(
        lambda: StreamArgs(
            mode=reader.choice("streamMode", defaults.mode, STREAM_MODES),
            shard_count=reader.integer("streamShardCount", defaults.shard_count, in_range(1, 500)),
            retention_hours=reader.integer(
                "streamRetentionHours",
                defaults.retention_hours,
                in_range(MIN_RETENTION_HOURS, MAX_RETENTION_HOURS),
            ),
            buffer_size_mb=reader.integer(
                "firehoseBufferSizeMb",
                defaults.buffer_size_mb,
                in_range(MIN_BUFFER_MB, MAX_BUFFER_MB),
            ),
            buffer_interval_seconds=reader.integer(
                "firehoseBufferIntervalSeconds",
                defaults.buffer_interval_seconds,
                in_range(0, MAX_BUFFER_SECONDS),
            ),
            log_retention_days=retention,
        ),
        StreamArgs,
        STREAM_KEYS,
    )


def _uploads(reader: Reader, retention: int) -> UploadPipelineArgs:
    defaults = UploadPipelineArgs()
    email = reader.optional("uploadNotifyEmail")
    if email is not None and not is_email_address(email):
        reader.problem("uploadNotifyEmail", email, "is not an email address")
        email = None
    return reader.build(
        lambda: UploadPipelineArgs(
            prefix=reader.checked("uploadPrefix", defaults.prefix, check_upload_prefix),
            retry_attempts=reader.integer(
                "uploadRetryAttempts", defaults.retry_attempts, in_range(0, MAX_RETRY_ATTEMPTS)
            ),
            max_event_age_seconds=reader.integer(
                "uploadMaxEventAgeSeconds",
                defaults.max_event_age_seconds,
                in_range(MIN_EVENT_AGE_SECONDS, MAX_EVENT_AGE_SECONDS),
            ),
            notify_email=email,
            log_retention_days=retention,
        ),
        UploadPipelineArgs,
        UPLOAD_KEYS,
    )
