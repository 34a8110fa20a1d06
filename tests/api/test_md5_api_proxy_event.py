"""The md5 API as Lambda runs it: `app.app(event, context)` with API Gateway REST proxy events.

The events in tests/events/ follow the documented input format of a Lambda proxy integration
of a REST API (API Gateway developer guide, "Input format of a Lambda function for proxy
integration"), for the resources and stage ("api") that Chalice deploys.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import app as md5_app
import pytest
from chalicelib import hashing

EVENTS_DIR = Path(__file__).parent / "events"


@dataclass(frozen=True)
class LambdaContext:
    """The attributes of the context object Lambda passes to a Python handler."""

    function_name: str = "md5-api-dev"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:md5-api-dev"
    memory_limit_in_mb: int = 128
    aws_request_id: str = "8f5a1b3e-2c4d-4e6f-9a0b-1c2d3e4f5a6b"
    log_group_name: str = "/aws/lambda/md5-api-dev"
    log_stream_name: str = "2024/01/01/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 3000


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS_DIR / name).read_text(encoding="utf-8"))


def get_md5_event(path_text: str, algorithms: list[str] | None = None) -> dict[str, Any]:
    event = load_event("rest_api_get_md5.json")
    event["path"] = f"/md5/{path_text}"
    event["pathParameters"] = {"string_to_hash": path_text}
    event["requestContext"]["path"] = f"/api/md5/{path_text}"
    if algorithms is not None:
        event["queryStringParameters"] = {"algorithm": algorithms[-1]}
        event["multiValueQueryStringParameters"] = {"algorithm": algorithms}
    return event


def post_md5_event(body: bytes, content_type: str, algorithm: str | None = None) -> dict[str, Any]:
    event = load_event("rest_api_post_md5.json")
    for headers in (event["headers"], event["multiValueHeaders"]):
        headers.pop("Content-Type")
        headers.pop("Content-Length")
    event["headers"].update({"Content-Type": content_type, "Content-Length": str(len(body))})
    event["multiValueHeaders"].update(
        {"Content-Type": [content_type], "Content-Length": [str(len(body))]}
    )
    try:
        event["body"] = body.decode("utf-8")
    except UnicodeDecodeError:
        event["body"] = base64.b64encode(body).decode("ascii")
        event["isBase64Encoded"] = True
    if algorithm is not None:
        event["queryStringParameters"] = {"algorithm": algorithm}
        event["multiValueQueryStringParameters"] = {"algorithm": [algorithm]}
    return event


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    return md5_app.app(copy.deepcopy(event), LambdaContext())


def json_body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def test_the_documented_get_event_hashes_the_notes_example_byte_for_byte() -> None:
    response = invoke(load_event("rest_api_get_md5.json"))

    assert response["statusCode"] == 200
    expected = hashlib.md5(b"PracticalAWS").hexdigest()
    assert response["body"] == '{"response":"%s"}' % expected  # noqa: UP031


def test_root_event_answers_ok() -> None:
    event = load_event("rest_api_get_md5.json")
    event.update(resource="/", path="/", pathParameters=None)
    event["requestContext"].update(resourcePath="/", path="/api/")

    response = invoke(event)

    assert response["statusCode"] == 200
    assert json_body(response) == {"response": "ok"}


def test_percent_encoded_path_parameter_is_hashed_as_the_decoded_text() -> None:
    response = invoke(get_md5_event("h%C3%A9llo%20w%C3%B6rld%20%E2%9C%93"))

    assert json_body(response) == {"response": hashlib.md5("héllo wörld ✓".encode()).hexdigest()}


def test_query_string_algorithm_is_used() -> None:
    response = invoke(get_md5_event("PracticalAWS", algorithms=["sha256"]))

    assert json_body(response) == {
        "response": hashlib.sha256(b"PracticalAWS").hexdigest(),
        "algorithm": "sha256",
    }


def test_unsupported_algorithm_is_a_400_json_error() -> None:
    response = invoke(get_md5_event("PracticalAWS", algorithms=["sha512"]))

    assert response["statusCode"] == 400
    assert json_body(response) == {
        "Code": "BadRequestError",
        "Message": "unsupported algorithm 'sha512'; use one of: md5, sha1, sha256",
    }


def test_the_documented_post_event_hashes_its_text_body() -> None:
    response = invoke(load_event("rest_api_post_md5.json"))

    assert response["statusCode"] == 200
    assert json_body(response) == {"response": hashlib.md5(b"PracticalAWS").hexdigest()}


def test_base64_encoded_binary_body_is_hashed_as_the_decoded_bytes() -> None:
    body = bytes(range(256))

    response = invoke(post_md5_event(body, "application/octet-stream", algorithm="sha1"))

    assert json_body(response) == {"response": hashlib.sha1(body).hexdigest(), "algorithm": "sha1"}


def test_body_over_the_limit_is_a_400_json_error() -> None:
    body = b"x" * (hashing.MAX_INPUT_BYTES + 1)

    response = invoke(post_md5_event(body, "text/plain"))

    assert response["statusCode"] == 400
    assert json_body(response)["Code"] == "BadRequestError"
    assert "Traceback" not in response["body"]


@pytest.mark.parametrize("event_name", ["rest_api_get_md5.json", "rest_api_post_md5.json"])
def test_fixture_events_have_the_documented_top_level_keys(event_name: str) -> None:
    event = load_event(event_name)

    assert set(event) == {
        "resource",
        "path",
        "httpMethod",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "requestContext",
        "body",
        "isBase64Encoded",
    }
    assert event["requestContext"]["resourcePath"] == event["resource"]
    assert event["requestContext"]["httpMethod"] == event["httpMethod"]
