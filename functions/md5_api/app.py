"""The md5 API of the course notes, as a Chalice app: handlers only route to `chalicelib`."""

from __future__ import annotations

from chalice.app import BadRequestError, Chalice, Request
from chalicelib import hashing

app = Chalice(app_name="md5-api")
# Never from the environment: a debug app sends stack traces to clients.
app.debug = False


@app.route("/")
def index() -> dict[str, str]:
    return {"response": "ok"}


@app.route("/md5/{string_to_hash}")
def hash_it(string_to_hash: str) -> dict[str, str]:
    return _hash(hashing.path_text_bytes(string_to_hash))


@app.route("/md5", methods=["POST"], content_types=["*/*"])
def hash_body() -> dict[str, str]:
    return _hash(_current_request().raw_body)


def _hash(data: bytes | str) -> dict[str, str]:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    query = _current_request().query_params
    try:
        return hashing.hash_response(raw, query.getlist("algorithm") if query else [])
    except hashing.HashingError as error:
        raise BadRequestError(str(error)) from error


def _current_request() -> Request:
    request = app.current_request
    assert request is not None, "Chalice sets current_request before calling a view"
    return request
