"""Plain secrets in Lambda environment variables: which variables hold a secret, by name, value
shape and Pulumi secretness together.

Lambda stores environment variables with the function's configuration; anyone allowed
`lambda:GetFunctionConfiguration` reads them in plain text (encryption at rest does not hide
them from that call): https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
and https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html.

How a variable is judged (documented with its limits in docs/policy-pack-defaults.md):
1. A value shaped like a reference is not a secret, whatever the name: an ARN (`arn:`), a KMS
   alias (`alias/...`), an SSM parameter path (`/a/b`).
2. A value the program marked as a Pulumi secret is a secret: at AWS it is plain text like any
   other (the engine sends it to the pack wrapped as a secret, see `secret_inputs`). A URL marked
   secret stays one (a webhook URL is its own credential).
3. A value shaped like a well-known credential is a secret, whatever its name: a PEM private
   key, GitHub, Slack or Stripe secret tokens.
4. A name with a secret word (PASSWORD, SECRET, TOKEN, KEY, ...; the "key" of a table, an object
   or a cache is not one) and a non-empty literal value is a secret, unless the name ends in a
   reference word after it (..._ARN, _NAME, _ID, _PATH, _ALIAS, _PARAM, _HEADER, _URL, _ENDPOINT,
   _HOST, ...) and the value has that reference's shape: an identifier (letters, digits and
   /_+=.@:-) for names and ids, a URL without credentials or query string for endpoints.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from platform_rules.graph import Node
from platform_rules.values import is_unknown

SECRET_WORDS = ("PASSWORD", "PASSWD", "PWD", "SECRET", "TOKEN", "KEY", "APIKEY", "CREDENTIALS")
# Words that make KEY a table's, an object's or a cache's key, not a secret.
NON_SECRET_KEY_QUALIFIERS = frozenset(
    {"SORT", "PARTITION", "PRIMARY", "HASH", "RANGE", "FOREIGN", "OBJECT", "S3", "CACHE"}
    | {"IDEMPOTENCY", "ROUTING", "DEDUPLICATION", "GROUP"}
)
IDENTIFIER = re.compile(r"^[A-Za-z0-9/_+=.@:-]{1,512}$")
# The value's shape for each reference word a name may end in.
REFERENCE_WORDS = {
    "ARN": "arn",
    "ARNS": "arn",
    "ALIAS": "alias",
    "PATH": "path",
    "NAME": "identifier",
    "ID": "identifier",
    "IDS": "identifier",
    "PARAM": "identifier",
    "PARAMETER": "identifier",
    "HEADER": "identifier",
    "COLUMN": "identifier",
    "FIELD": "identifier",
    "ATTRIBUTE": "identifier",
    "PREFIX": "identifier",
    "REGION": "identifier",
    "URL": "url",
    "URI": "url",
    "ENDPOINT": "url",
    "HOST": "url",
}
# Values that are credentials whatever the variable is called.
CREDENTIAL_SHAPES = (
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"^(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})$"),
    re.compile(r"^xox[abposr]-[A-Za-z0-9-]{10,}$"),
    re.compile(r"^(sk|rk)_live_[A-Za-z0-9]{16,}$"),
)


def words(name: str) -> list[str]:
    """A variable name's words: split on _ - . and case changes, upper-cased."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [word for word in re.split(r"[_\-.]+", spaced.upper()) if word]


def _secret_word_at(name_words: list[str], secret_words: set[str]) -> int | None:
    for index, word in enumerate(name_words):
        if word not in secret_words:
            continue
        if word == "KEY" and index > 0 and name_words[index - 1] in NON_SECRET_KEY_QUALIFIERS:
            continue
        return index
    return None


def _is_url_reference(value: str) -> bool:
    """A URL (or host) naming where something is, not carrying credentials."""
    parts = urlsplit(value if "://" in value else f"https://{value}")
    return bool(parts.hostname) and not (parts.username or parts.password or parts.query)


def is_reference(value: str) -> bool:
    """The value's own shape names where a secret lives: an ARN, a KMS alias, an SSM parameter
    path."""
    if value.startswith(("arn:", "alias/")):
        return True
    return value.startswith("/") and bool(IDENTIFIER.match(value))


def fits_reference(value: str, shape: str) -> bool:
    """The value has the shape the name's reference word asks for."""
    if is_reference(value):
        return True
    if shape == "identifier":
        return bool(IDENTIFIER.match(value))
    if shape == "url":
        return _is_url_reference(value)
    return False


def _reference_shape(name_words: list[str], after: int) -> str | None:
    """The shape asked for by the reference word that ends the name after its secret word."""
    return REFERENCE_WORDS.get(name_words[-1]) if len(name_words) - 1 > after else None


def _credential_shaped(value: str) -> bool:
    return any(shape.search(value) for shape in CREDENTIAL_SHAPES)


def why_secret(name: str, value: Any, marked_secret: bool, secret_words: Iterable[str]) -> str:
    """Why the variable holds a secret in plain text ("" when it does not)."""
    if is_unknown(value) or not isinstance(value, str) or not value or is_reference(value):
        return ""
    if marked_secret:
        return "a Pulumi secret"
    if _credential_shaped(value):
        return "a value shaped like a credential"
    name_words = words(name)
    index = _secret_word_at(name_words, {word.upper() for word in secret_words})
    if index is None:
        return ""
    shape = _reference_shape(name_words, index)
    if shape is not None and fits_reference(value, shape):
        return ""
    return f"named like a secret ({name_words[index]})"


def plain_secrets(function: Node, secret_words: Iterable[str]) -> list[tuple[str, str]]:
    """(variable name, why) for each environment variable that holds a secret in plain text."""
    environment = function.get("environment")
    variables = environment.get("variables") if isinstance(environment, dict) else None
    if not isinstance(variables, dict):
        return []
    words_list = list(secret_words)
    found = []
    for name, value in variables.items():
        marked = function.is_secret("environment", "variables", str(name))
        why = why_secret(str(name), value, marked, words_list)
        if why:
            found.append((str(name), why))
    return found
