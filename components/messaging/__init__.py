"""Messaging and streaming: SNS -> SQS fan-out, Kinesis -> Firehose -> S3, S3 uploads."""

from components.messaging.fanout import Fanout, FanoutArgs
from components.messaging.stream import Stream, StreamArgs
from components.messaging.uploads import UploadPipeline, UploadPipelineArgs

__all__ = ["Fanout", "FanoutArgs", "Stream", "StreamArgs", "UploadPipeline", "UploadPipelineArgs"]
