"""IAM policy semantics the rules share: wildcard patterns, condition operators, coverage.

Each function follows the AWS IAM User Guide:
- wildcards in Action, Resource and the *Like operators: `*` any run of characters, `?` one
  character; actions match case-insensitively, ARNs case-sensitively
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html);
- condition operators, including what a key missing from the request makes of each
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
  "If the key that you specify in a policy condition is not present in the request context, the
  values do not match and the condition is false. If the policy condition requires that the key
  is not matched, such as StringNotLike or ArnNotLike, and the right key is not present, the
  condition is true." `...IfExists` is true when the key is missing; `Null` tests presence;
- the conditions of one statement are ANDed (every operator, every key); the values listed for
  one key are ORed, and a negated operator is true only when no value matches
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from typing import Any

NEGATED_OPERATORS = frozenset(
    {
        "stringnotequals",
        "stringnotequalsignorecase",
        "stringnotlike",
        "numericnotequals",
        "datenotequals",
        "notipaddress",
        "arnnotequals",
        "arnnotlike",
    }
)
_POSITIVE_OF = {
    "stringnotequals": "stringequals",
    "stringnotequalsignorecase": "stringequalsignorecase",
    "stringnotlike": "stringlike",
    "notipaddress": "ipaddress",
    "arnnotequals": "arnequals",
    "arnnotlike": "arnlike",
}


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcard match: `*` any run of characters (also none), `?` exactly one."""
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    if "?" not in pattern:
        return _star_match(pattern.split("*"), value)
    states = _closure(pattern, {0})
    for char in value:
        states = _closure(pattern, _step(pattern, states, char))
        if not states:
            return False
    return len(pattern) in states


def _star_match(parts: list[str], value: str) -> bool:
    """`*`-only match of the pattern split on `*`: the first part is a prefix, the last a
    suffix, and the middle parts occur in order in between (leftmost occurrence suffices)."""
    if len(parts) == 1:
        return value == parts[0]
    first, last = parts[0], parts[-1]
    if len(first) + len(last) > len(value) or not (
        value.startswith(first) and value.endswith(last)
    ):
        return False
    position, end = len(first), len(value) - len(last)
    for part in parts[1:-1]:
        found = value.find(part, position, end)
        if found < 0:
            return False
        position = found + len(part)
    return True


def _closure(pattern: str, states: set[int]) -> set[int]:
    """The states reachable without reading: a `*` may match nothing."""
    result, todo = set(states), list(states)
    while todo:
        state = todo.pop()
        if state < len(pattern) and pattern[state] == "*" and state + 1 not in result:
            result.add(state + 1)
            todo.append(state + 1)
    return result


def _step(pattern: str, states: set[int], char: str) -> set[int]:
    following = set()
    for state in states:
        if state >= len(pattern):
            continue
        symbol = pattern[state]
        if symbol == "*":
            following.add(state)
        elif symbol == "?" or symbol == char:
            following.add(state + 1)
    return following


def _states_after(pattern: str, prefix: str) -> set[int]:
    states = _closure(pattern, {0})
    for char in prefix:
        states = _closure(pattern, _step(pattern, states, char))
    return states


def covers_every_extension(pattern: str, prefix: str) -> bool:
    """The pattern matches `prefix` followed by any non-empty string (every object key).

    After reading the prefix, what is left of the pattern must match every non-empty string:
    no literal character, at least one `*`, and at most one `?`. For a pattern without `?` that
    is: it ends in `*`, and without its trailing `*`s it matches a start of the prefix, so that
    the trailing `*` takes the rest of the prefix and every key.
    """
    if "?" not in pattern:
        stripped = pattern.rstrip("*")
        return stripped != pattern and _star_match(f"{stripped}*".split("*"), prefix)
    for state in _states_after(pattern, prefix):
        rest = pattern[state:]
        if "*" in rest and rest.count("?") <= 1 and not rest.replace("*", "").replace("?", ""):
            return True
    return False


def matches_some_extension(pattern: str, prefix: str) -> bool:
    """The pattern matches `prefix` followed by at least one non-empty string."""
    return any(pattern[state:] for state in _states_after(pattern, prefix))


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _positive_holds(operator: str, expected: list[str], actual: str) -> bool | None:
    if operator == "stringequals":
        return actual in expected
    if operator == "stringequalsignorecase":
        return actual.lower() in [value.lower() for value in expected]
    if operator in ("stringlike", "arnlike", "arnequals"):
        return any(wildcard_match(value, actual) for value in expected)
    if operator == "bool":
        return actual.lower() in [value.lower() for value in expected]
    if operator == "ipaddress":
        return _in_networks(actual, expected)
    return None


def _in_networks(address: str, networks: list[str]) -> bool | None:
    try:
        ip = ipaddress.ip_network(address, strict=False)
        return any(ip.subnet_of(ipaddress.ip_network(net, strict=False)) for net in networks)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return None


def split_operator(operator: str) -> tuple[str, str, bool]:
    """(qualifier, base operator, if_exists), lower-cased: `ForAnyValue:StringLikeIfExists` is
    ("foranyvalue", "stringlike", True)."""
    qualifier, _, base = operator.lower().rpartition(":")
    if_exists = base.endswith("ifexists") and base != "ifexists"
    return qualifier, base.removesuffix("ifexists") if if_exists else base, if_exists


def condition_holds(operator: str, expected: Any, actual: str | None) -> bool | None:
    """Whether `operator` with the policy's `expected` value(s) is true for a request whose key
    has value `actual` (None: the key is missing). None when the operator is not modelled."""
    qualifier, base, if_exists = split_operator(operator)
    values = [_text(value) for value in as_list(expected)]
    if base == "null":
        return any((value.lower() == "true") == (actual is None) for value in values)
    if actual is None:
        if if_exists or qualifier == "forallvalues":
            return True
        if qualifier == "foranyvalue":
            return False
        return base in NEGATED_OPERATORS
    if base in NEGATED_OPERATORS:
        positive = _POSITIVE_OF.get(base)
        held = _positive_holds(positive, values, actual) if positive else None
        return None if held is None else not held
    return _positive_holds(base, values, actual)


def conditions(statement: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(operator, key, expected) for every condition of the statement."""
    block = statement.get("Condition")
    if not isinstance(block, dict):
        return
    for operator, keys in block.items():
        if isinstance(keys, dict):
            for key, expected in keys.items():
                yield str(operator), str(key), expected


def action_matches(statement: Mapping[str, Any], action: str) -> bool:
    """The statement applies to `action`: named in Action, or not named in NotAction."""
    if "NotAction" in statement:
        return not any(
            isinstance(pattern, str) and wildcard_match(pattern, action, ignore_case=True)
            for pattern in as_list(statement.get("NotAction"))
        )
    return any(
        isinstance(pattern, str) and wildcard_match(pattern, action, ignore_case=True)
        for pattern in as_list(statement.get("Action"))
    )


def covers_every_object(statement: Mapping[str, Any], bucket: str) -> bool:
    """The statement's Resource (or NotResource) takes in every object key of the bucket."""
    prefix = f"arn:aws:s3:::{bucket}/"
    if "NotResource" in statement:
        return not any(
            isinstance(pattern, str) and matches_some_extension(pattern, prefix)
            for pattern in as_list(statement.get("NotResource"))
        )
    return any(
        isinstance(pattern, str) and covers_every_extension(pattern, prefix)
        for pattern in as_list(statement.get("Resource"))
    )
