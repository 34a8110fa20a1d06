"""Put records to the platform's Kinesis stream, as the notes' producer does (lesson 22):
each record is a JSON document, sent with `put_record(StreamName, Data=json.dumps(...),
PartitionKey=...)`, the partition key being the document's `name` (the notes' key).

    python -m tools.produce_records --stream "$(pulumi stack output streamName)" < readings.jsonl

reads one JSON document per line from standard input (or `--file`); `--interval` waits between
records as the notes' loop does (default none). It needs AWS credentials allowed
kinesis:PutRecord on the stream (and kms:GenerateDataKey on its key, through Kinesis).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TextIO

DEFAULT_PARTITION_FIELD = "name"


def documents(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The JSON objects of non-blank lines; a line that is not an object raises ValueError."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        document = json.loads(line)
        if not isinstance(document, dict):
            raise ValueError(f"line {number}: {line.strip()[:60]!r} is not a JSON object")
        yield document


def partition_key(document: Mapping[str, Any], field: str = DEFAULT_PARTITION_FIELD) -> str:
    """The document's `field` (the notes' key), or the field's name when it has none."""
    value = document.get(field)
    return str(value) if value not in (None, "") else field


def put_records(
    client: Any,
    stream_name: str,
    records: Iterable[Mapping[str, Any]],
    *,
    interval_seconds: float = 0.0,
    sleep: Any = time.sleep,
) -> list[str]:
    """Put each record; the sequence numbers Kinesis returns, in order."""
    sequence_numbers = []
    for index, record in enumerate(records):
        if index and interval_seconds:
            sleep(interval_seconds)
        response = client.put_record(
            StreamName=stream_name,
            Data=json.dumps(record).encode(),
            PartitionKey=partition_key(record),
        )
        sequence_numbers.append(response["SequenceNumber"])
    return sequence_numbers


def main(argv: list[str] | None = None, stdin: TextIO = sys.stdin) -> int:
    parser = argparse.ArgumentParser(description="Put JSON lines to a Kinesis stream.")
    parser.add_argument("--stream", required=True, help="the stream name (stack output)")
    parser.add_argument("--file", type=argparse.FileType("r"), help="JSON lines; default stdin")
    parser.add_argument("--interval", type=float, default=0.0, help="seconds between records")
    options = parser.parse_args(argv)
    import boto3  # only the command needs it; tests pass their own client

    source = options.file or stdin
    try:
        numbers = put_records(
            boto3.client("kinesis"),
            options.stream,
            documents(source),
            interval_seconds=options.interval,
        )
    finally:
        if options.file is not None:
            options.file.close()
    print(f"put {len(numbers)} records to {options.stream}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
