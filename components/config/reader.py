"""Reading raw stack config strings into typed values, collecting every problem at once.

Each section module (`network.py`, `database.py`, ...) reads its keys through a `Reader` and
builds its component's `...Args`; a problem names the key and the bad value and never stops
the reading, so the user sees every mistake in one run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TypeVar, cast

import pulumi

from components.common.shared import check_log_retention, is_email_address

T = TypeVar("T")


class SettingsError(ValueError):
    """Stack config that cannot be deployed. Each problem names its config key and value."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid stack configuration:\n  - " + "\n  - ".join(problems))


def as_secret(value: str) -> pulumi.Output[str]:
    """A validated secret setting, kept a Pulumi secret from here on."""
    return pulumi.Output.secret(value)


class Reader:
    """Reads typed values from raw config strings and collects problems instead of stopping."""

    def __init__(
        self,
        raw: Mapping[str, str],
        namespace: str,
        project: str,
        stack: str,
        region: str | None = None,
    ):
        self.raw = raw
        self.namespace = namespace
        self.project = project
        self.stack = stack
        self.region = region  # the stack's aws:region, when known
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def problem(self, key: str, value: object, reason: str) -> None:
        self._add(self.problems, f"{self.namespace}:{key} = {value!r} {reason}")

    def warn(self, message: str) -> None:
        """A setting that still works but should change (a deprecated key, say)."""
        self._add(self.warnings, message)

    @staticmethod
    def _add(messages: list[str], message: str) -> None:
        # A stack-wide key is read by several sections: its problem is reported once.
        if message not in messages:
            messages.append(message)

    def secret_problem(self, key: str, reason: str) -> None:
        """A problem with a secret setting: named, but its value never shown."""
        self.problems.append(f"{self.namespace}:{key} = [secret] {reason}")

    def secret(self, key: str) -> str | None:
        """The plain value of a secret setting, for validation; wrap it with `as_secret`."""
        return self.raw.get(key) or None

    def string(self, key: str, default: str) -> str:
        return self.raw.get(key, default)

    def optional(self, key: str) -> str | None:
        """A string setting whose empty value means "not set"."""
        return self.raw.get(key, "").strip() or None

    def email(self, key: str) -> str | None:
        """An optional email address setting (empty: not set; refused: not set either)."""
        value = self.optional(key)
        if value is not None and not is_email_address(value):
            self.problem(key, value, "is not an email address")
            return None
        return value

    def checked(self, key: str, default: str, check: Callable[[str], str | None]) -> str:
        value = self.string(key, default)
        if (reason := check(value)) is not None:
            self.problem(key, value, reason)
            return default
        return value

    def choice(self, key: str, default: T, choices: tuple[T, ...]) -> T:
        value = self.raw.get(key)
        if value is None:
            return default
        if value not in choices:
            self.problem(key, value, f"must be one of: {', '.join(map(str, choices))}")
            return default
        return cast(T, value)

    def integer(self, key: str, default: int, check: Callable[[int], str | None]) -> int:
        value = self.raw.get(key)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            self.problem(key, value, "must be a whole number")
            return default
        if (reason := check(number)) is not None:
            self.problem(key, value, reason)
            return default
        return number

    def log_retention(self, key: str, default: int) -> int:
        return self.integer(key, default, check_log_retention)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw.get(key)
        if value is None:
            return default
        if value.lower() not in ("true", "false"):
            self.problem(key, value, "must be true or false")
            return default
        return value.lower() == "true"

    def json_list(self, key: str, what: str) -> list[object]:
        """A list setting whose items may be objects (YAML maps); [] when unset or invalid."""
        value = self.raw.get(key)
        if value is None:
            return []
        try:
            items = json.loads(value)
        except json.JSONDecodeError:
            items = None
        if not isinstance(items, list):
            self.problem(key, value, f"must be a list of {what}")
            return []
        return items

    def string_list(self, key: str) -> tuple[str, ...]:
        value = self.raw.get(key)
        if value is None:
            return ()
        try:
            items = json.loads(value)
        except json.JSONDecodeError:
            self.problem(key, value, "must be a list of strings")
            return ()
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            self.problem(key, value, "must be a list of strings")
            return ()
        return tuple(items)

    def build(
        self, factory: Callable[[], T], fallback: Callable[[], T], keys: Mapping[str, str]
    ) -> T:
        """The section's Args from `factory`, or `fallback` when the Args refuse a combination
        of values: the Args' error names its field, `keys` maps the field to its config key."""
        try:
            return factory()
        except ValueError as error:
            field, _, reason = str(error).partition(": ")
            self.problems.append(f"{self.namespace}:{keys.get(field, field)}: {reason}")
            return fallback()


def in_range(low: int, high: int) -> Callable[[int], str | None]:
    return lambda number: None if low <= number <= high else f"must be between {low} and {high}"
