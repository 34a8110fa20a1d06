"""The messaging flows, in-process against moto: SNS -> SQS in the notes' envelope, the consumer
with partial batch failures, the dead-letter queue after maxReceiveCount receives, the producer's
records in the stream, and the S3 event the upload pipeline's handler parses.

Lambda's SQS event source mapping is played by `poll_once` below, as AWS documents it: receive
a batch, invoke the function with the records, delete the records not listed in
`batchItemFailures` (those return to the queue when their visibility timeout ends).
https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from consumer import handler as consumer_handler
from consumer.batch import NotAnSnsEnvelope, process_batch, sns_message
from moto import mock_aws
from uploads.events import NotAnUploadEvent, summarise, uploads

from components.messaging.fanout import FanoutArgs
from tests.support.uptime_aws import use_fake_credentials
from tools.produce_records import documents, main, put_records

MAX_RECEIVE_COUNT = FanoutArgs().max_receive_count


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    use_fake_credentials(monkeypatch)
    with mock_aws():
        yield


@pytest.fixture
def fanout(aws) -> dict[str, Any]:
    """The fan-out as the component builds it: topic, queue with a redrive policy, subscription
    with raw delivery off. Visibility 0 so a failed message is visible again at once."""
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="pub")["TopicArn"]
    dead = sqs.create_queue(QueueName="sub-dlq")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])
    redrive = {
        "deadLetterTargetArn": dead_arn["Attributes"]["QueueArn"],
        "maxReceiveCount": MAX_RECEIVE_COUNT,
    }
    queue = sqs.create_queue(
        QueueName="sub",
        Attributes={"VisibilityTimeout": "0", "RedrivePolicy": json.dumps(redrive)},
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn["Attributes"]["QueueArn"],
        Attributes={"RawMessageDelivery": "false"},
    )
    return {"sns": sns, "sqs": sqs, "topic": topic, "queue": queue, "dead": dead}


def poll_once(
    sqs: Any, queue_url: str, handler: Callable[[dict, object], dict], batch_size: int = 10
) -> tuple[int, dict]:
    """One poll of the event source mapping: (records handed over, the function's answer)."""
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=batch_size)
    messages = received.get("Messages", [])
    if not messages:
        return 0, {"batchItemFailures": []}
    event = {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "eventSource": "aws:sqs",
            }
            for m in messages
        ]
    }
    answer = handler(event, None)
    failed = {failure["itemIdentifier"] for failure in answer["batchItemFailures"]}
    for message in messages:
        if message["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return len(messages), answer


def bodies(sqs: Any, queue_url: str) -> list[str]:
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    return [message["Body"] for message in received.get("Messages", [])]


def test_a_published_message_reaches_the_queue_in_the_sns_envelope(fanout):
    fanout["sns"].publish(TopicArn=fanout["topic"], Message="42")
    (body,) = bodies(fanout["sqs"], fanout["queue"])
    envelope = json.loads(body)
    assert envelope["Type"] == "Notification"
    assert envelope["TopicArn"] == fanout["topic"]
    assert sns_message(body) == "42"  # the notes' json.loads(message.body)["Message"]


def test_the_consumer_deletes_what_it_processed_and_reports_only_the_failures(fanout):
    for number in ("1", "2", "3"):
        fanout["sns"].publish(TopicArn=fanout["topic"], Message=number)
    # Not what SNS delivers with raw delivery off: the consumer cannot read it.
    fanout["sqs"].send_message(QueueUrl=fanout["queue"], MessageBody="raw text")
    seen: list[str] = []

    def handler(event: dict, context: object) -> dict:
        return process_batch(event["Records"], seen.append)

    handed, answer = poll_once(fanout["sqs"], fanout["queue"], handler)
    assert handed == 4
    assert sorted(seen) == ["1", "2", "3"]
    assert len(answer["batchItemFailures"]) == 1
    assert bodies(fanout["sqs"], fanout["queue"]) == ["raw text"]


def test_a_message_that_keeps_failing_ends_in_the_dead_letter_queue(fanout):
    fanout["sqs"].send_message(QueueUrl=fanout["queue"], MessageBody="not an envelope")
    attempts = 0
    for _ in range(MAX_RECEIVE_COUNT + 2):
        handed, answer = poll_once(fanout["sqs"], fanout["queue"], consumer_handler.handler)
        attempts += handed
        assert len(answer["batchItemFailures"]) == handed
    assert attempts == MAX_RECEIVE_COUNT
    assert bodies(fanout["sqs"], fanout["queue"]) == []
    assert bodies(fanout["sqs"], fanout["dead"]) == ["not an envelope"]


@pytest.mark.parametrize("body", ["not json", '{"Subject": "no message"}', '["Message"]'])
def test_what_is_not_an_envelope_is_refused_by_name(body):
    with pytest.raises(NotAnSnsEnvelope):
        sns_message(body)


def test_the_producers_records_are_put_to_the_stream(aws):
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName="platform-stream-dev", ShardCount=1)
    lines = ['{"name": "paris", "temperature": 21}', "", '{"temperature": 19}']
    numbers = put_records(kinesis, "platform-stream-dev", documents(lines))
    assert len(numbers) == 2
    shard = kinesis.describe_stream(StreamName="platform-stream-dev")["StreamDescription"][
        "Shards"
    ][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(
        StreamName="platform-stream-dev", ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = kinesis.get_records(ShardIterator=iterator)["Records"]
    assert [json.loads(record["Data"]) for record in records] == [
        {"name": "paris", "temperature": 21},
        {"temperature": 19},
    ]
    assert [record["PartitionKey"] for record in records] == ["paris", "name"]


def test_the_producer_refuses_a_line_that_is_not_an_object():
    with pytest.raises(ValueError, match="line 2"):
        list(documents(['{"name": "a"}', "[1, 2]"]))


def test_an_object_put_under_the_prefix_produces_the_event_the_handler_parses(aws):
    s3, sqs = boto3.client("s3"), boto3.client("sqs")
    s3.create_bucket(Bucket="media")
    events = sqs.create_queue(QueueName="events")["QueueUrl"]
    events_arn = sqs.get_queue_attributes(QueueUrl=events, AttributeNames=["QueueArn"])
    # moto runs no Lambda function; the same notification to a queue shows the event S3 sends.
    s3.put_bucket_notification_configuration(
        Bucket="media",
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": events_arn["Attributes"]["QueueArn"],
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}},
                }
            ]
        },
    )
    s3.put_object(Bucket="media", Key="other/ignored.txt", Body=b"not for the pipeline")
    s3.put_object(Bucket="media", Key="uploads/my_file.txt", Body=b"This is a test content\n")
    (body,) = [b for b in bodies(sqs, events) if "s3:TestEvent" not in b]
    event = json.loads(body)
    assert [(u.bucket, u.key, u.size) for u in uploads(event)] == [
        ("media", "uploads/my_file.txt", 23)
    ]
    # The real handler, its S3 client created inside the mock.
    handler_module = importlib.reload(importlib.import_module("uploads.handler"))
    assert handler_module.handler(event, None) == {
        "objects": [
            {
                "bucket": "media",
                "key": "uploads/my_file.txt",
                "size": 23,
                "preview": "This is a test content\n",
            }
        ]
    }


def test_keys_arrive_url_encoded_and_other_events_are_refused():
    # The key as S3 encodes it in notifications (AWS's event structure documentation).
    event = {
        "Records": [
            {
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "bucket": {"name": "media"},
                    "object": {"key": "uploads/my+file%281%29.txt"},
                },
            }
        ]
    }
    read: list[tuple[str, str]] = []
    summary = summarise(event, lambda bucket, key, length: read.append((bucket, key)) or b"x")
    assert read == [("media", "uploads/my file(1).txt")]
    assert summary["objects"][0]["key"] == "uploads/my file(1).txt"
    with pytest.raises(NotAnUploadEvent):
        uploads({"Records": [{**event["Records"][0], "eventName": "ObjectRemoved:Delete"}]})
    with pytest.raises(NotAnUploadEvent):
        uploads({})


def test_the_producer_command_puts_a_file_of_json_lines(aws, tmp_path, capsys):
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=1)
    readings = tmp_path / "readings.jsonl"
    readings.write_text('{"name": "a", "t": 1}\n{"name": "b", "t": 2}\n')
    assert main(["--stream", "s", "--file", str(readings)]) == 0
    assert capsys.readouterr().out.strip() == "put 2 records to s"
