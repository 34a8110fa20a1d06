"""The md5 API through Chalice's test client: the routes of the course notes and their additions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import app as md5_app
import pytest
from chalice.test import Client
from chalicelib import hashing

NON_ASCII_TEXT = "héllo wörld ✓"


@pytest.fixture
def client() -> Iterator[Client]:
    with Client(md5_app.app) as test_client:
        yield test_client


def md5_hex(data: str | bytes) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.md5(raw).hexdigest()


def notes_shaped_body(hex_digest: str) -> bytes:
    """The exact bytes the notes' `return {'response': m.hexdigest()}` sends."""
    return b'{"response":"' + hex_digest.encode("ascii") + b'"}'


def assert_bad_request(response, *fragments: str) -> None:
    assert response.status_code == 400
    body = json.loads(response.body)
    assert body["Code"] == "BadRequestError"
    for fragment in fragments:
        assert fragment in body["Message"]
    assert "Traceback" not in response.body.decode("utf-8")
    assert 'File "' not in response.body.decode("utf-8")


def test_app_is_named_md5_api_and_never_in_debug_mode() -> None:
    assert md5_app.app.app_name == "md5-api"
    assert md5_app.app.debug is False


def test_root_answers_ok(client: Client) -> None:
    response = client.http.get("/")

    assert response.status_code == 200
    assert response.body == b'{"response":"ok"}'


def test_md5_of_the_notes_example_has_the_notes_shape_byte_for_byte(client: Client) -> None:
    response = client.http.get("/md5/PracticalAWS")

    assert response.status_code == 200
    assert response.body == notes_shaped_body(md5_hex("PracticalAWS"))


def test_non_ascii_text_is_hashed_as_utf8(client: Client) -> None:
    response = client.http.get(f"/md5/{NON_ASCII_TEXT}")

    assert response.json_body == {"response": md5_hex(NON_ASCII_TEXT)}


@pytest.mark.parametrize(
    ("path_segment", "decoded_text"),
    [
        ("h%C3%A9llo%20w%C3%B6rld%20%E2%9C%93", NON_ASCII_TEXT),
        ("Practical%41WS", "PracticalAWS"),
        ("a%2Fb", "a/b"),
        ("100%25", "100%"),
        ("a+b", "a+b"),
        ("%7Bbraces%7D", "{braces}"),
    ],
)
def test_percent_encoded_path_text_is_hashed_as_the_decoded_text(
    client: Client, path_segment: str, decoded_text: str
) -> None:
    response = client.http.get(f"/md5/{path_segment}")

    assert response.json_body == {"response": md5_hex(decoded_text)}


def test_percent_encoded_bytes_that_are_not_utf8_are_hashed_as_those_bytes(
    client: Client,
) -> None:
    response = client.http.get("/md5/%FF%00")

    assert response.json_body == {"response": md5_hex(b"\xff\x00")}


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
def test_get_with_another_algorithm_names_it_in_the_response(
    client: Client, algorithm: str
) -> None:
    response = client.http.get(f"/md5/PracticalAWS?algorithm={algorithm}")

    expected = hashlib.new(algorithm, b"PracticalAWS").hexdigest()
    assert response.json_body == {"response": expected, "algorithm": algorithm}


def test_get_with_md5_named_explicitly_keeps_the_notes_shape(client: Client) -> None:
    response = client.http.get("/md5/PracticalAWS?algorithm=md5")

    assert response.body == notes_shaped_body(md5_hex("PracticalAWS"))


def test_post_hashes_the_raw_text_body(client: Client) -> None:
    body = NON_ASCII_TEXT.encode("utf-8")

    response = client.http.post("/md5", headers={"Content-Type": "text/plain"}, body=body)

    assert response.status_code == 200
    assert response.json_body == {"response": md5_hex(body)}


def test_post_hashes_binary_bodies_byte_for_byte(client: Client) -> None:
    body = bytes(range(256))

    response = client.http.post(
        "/md5", headers={"Content-Type": "application/octet-stream"}, body=body
    )

    assert response.json_body == {"response": md5_hex(body)}


def test_post_hashes_a_json_body_as_bytes_without_parsing_it(client: Client) -> None:
    body = b'{"not": "parsed",   "spaces": "kept"}'

    response = client.http.post("/md5", headers={"Content-Type": "application/json"}, body=body)

    assert response.json_body == {"response": md5_hex(body)}


def test_post_without_a_content_type_is_accepted(client: Client) -> None:
    response = client.http.post("/md5", body=b"PracticalAWS")

    assert response.json_body == {"response": md5_hex("PracticalAWS")}


@pytest.mark.parametrize("algorithm", hashing.SUPPORTED_ALGORITHMS)
def test_post_with_each_algorithm(client: Client, algorithm: str) -> None:
    response = client.http.post(
        f"/md5?algorithm={algorithm}", headers={"Content-Type": "text/plain"}, body=b"abc"
    )

    expected = {"response": hashlib.new(algorithm, b"abc").hexdigest()}
    if algorithm != hashing.DEFAULT_ALGORITHM:
        expected["algorithm"] = algorithm
    assert response.json_body == expected


def test_post_body_of_exactly_the_limit_is_hashed(client: Client) -> None:
    body = b"x" * hashing.MAX_INPUT_BYTES

    response = client.http.post("/md5", headers={"Content-Type": "text/plain"}, body=body)

    assert response.json_body == {"response": md5_hex(body)}


def test_the_documented_body_limit_is_64_kib() -> None:
    assert hashing.MAX_INPUT_BYTES == 64 * 1024


@pytest.mark.parametrize("path", ["/md5/abc?algorithm=sha512", "/md5/abc?algorithm=MD5"])
def test_get_with_an_unsupported_algorithm_is_a_400_naming_it(client: Client, path: str) -> None:
    response = client.http.get(path)

    bad_value = path.rsplit("=", 1)[1]
    assert_bad_request(response, repr(bad_value), "md5", "sha1", "sha256")


def test_get_with_an_empty_algorithm_is_a_400(client: Client) -> None:
    assert_bad_request(client.http.get("/md5/abc?algorithm="), "''")


def test_algorithm_given_twice_is_a_400_naming_both(client: Client) -> None:
    response = client.http.get("/md5/abc?algorithm=sha1&algorithm=sha256")

    assert_bad_request(response, "once", "sha1", "sha256")


def test_post_with_an_unsupported_algorithm_is_a_400_naming_it(client: Client) -> None:
    response = client.http.post(
        "/md5?algorithm=crc32", headers={"Content-Type": "text/plain"}, body=b"abc"
    )

    assert_bad_request(response, "'crc32'", "md5, sha1, sha256")


def test_post_body_over_the_limit_is_a_400_naming_sizes(client: Client) -> None:
    body = b"x" * (hashing.MAX_INPUT_BYTES + 1)

    response = client.http.post("/md5", headers={"Content-Type": "text/plain"}, body=body)

    assert_bad_request(response, str(hashing.MAX_INPUT_BYTES + 1), str(hashing.MAX_INPUT_BYTES))


def test_post_with_an_empty_body_is_a_400(client: Client) -> None:
    response = client.http.post("/md5", headers={"Content-Type": "text/plain"}, body=b"")

    assert_bad_request(response, "empty")


def test_get_on_the_post_route_is_405(client: Client) -> None:
    assert client.http.get("/md5").status_code == 405


def test_an_unexpected_error_is_a_500_without_a_stack_trace(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_hash_response(data: bytes, requested: object) -> dict[str, str]:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(hashing, "hash_response", broken_hash_response)

    response = client.http.get("/md5/PracticalAWS")

    assert response.status_code == 500
    assert json.loads(response.body) == {
        "Code": "InternalServerError",
        "Message": "An internal server error occurred.",
    }
