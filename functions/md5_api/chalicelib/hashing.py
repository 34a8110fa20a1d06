"""What the md5 API hashes, with which algorithms, and what input it refuses.

Path text arrives percent-encoded: API Gateway REST APIs pass `pathParameters` on as the client
encoded them, and Chalice hands them to the view unchanged (aws/chalice#511). So the text of
`/md5/h%C3%A9llo` is decoded to "héllo" before hashing, and `+` stays a plus sign, as in any
URL path. Every message of `HashingError` is meant for the client: it names the bad value.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from urllib.parse import unquote_to_bytes

DEFAULT_ALGORITHM = "md5"
SUPPORTED_ALGORITHMS = ("md5", "sha1", "sha256")
# The largest input hashed, in bytes (64 KiB); larger request bodies are refused.
MAX_INPUT_BYTES = 64 * 1024


class HashingError(ValueError):
    """Input the API refuses; the message is safe to send to the client."""


def path_text_bytes(path_text: str) -> bytes:
    """The bytes a percent-encoded URL path segment stands for, non-ASCII text as UTF-8."""
    return unquote_to_bytes(path_text)


def chosen_algorithm(requested: Sequence[str]) -> str:
    """The algorithm named by the `algorithm` query values, md5 when there are none."""
    if not requested:
        return DEFAULT_ALGORITHM
    if len(requested) > 1:
        raise HashingError(
            f"give the algorithm query parameter once, not {len(requested)} times: "
            f"{', '.join(map(repr, requested))}"
        )
    algorithm = requested[0]
    if algorithm not in SUPPORTED_ALGORITHMS:
        raise HashingError(
            f"unsupported algorithm {algorithm!r}; use one of: {', '.join(SUPPORTED_ALGORITHMS)}"
        )
    return algorithm


def check_input_size(data: bytes) -> None:
    """Refuse empty input and input over MAX_INPUT_BYTES."""
    if not data:
        raise HashingError("the text to hash is empty; send at least one byte")
    if len(data) > MAX_INPUT_BYTES:
        raise HashingError(
            f"the text to hash is {len(data)} bytes; the limit is {MAX_INPUT_BYTES} bytes"
        )


def hash_response(data: bytes, requested_algorithms: Sequence[str]) -> dict[str, str]:
    """The response body: `{"response": hex}`, plus `"algorithm"` when it is not md5."""
    algorithm = chosen_algorithm(requested_algorithms)
    check_input_size(data)
    digest = hashlib.new(algorithm, data, usedforsecurity=False).hexdigest()
    if algorithm == DEFAULT_ALGORITHM:
        return {"response": digest}
    return {"response": digest, "algorithm": algorithm}
