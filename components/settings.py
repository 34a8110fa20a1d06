"""Stack settings: the one place that reads `pulumi.Config`.

`load_settings()` reads the stack's config, validates every value and returns a frozen
`Settings` whose sections are the components' own `...Args`, so the program only wires
components together. Every problem is reported at once, each naming the config key and the bad
value, and it is raised before the program registers a single resource.

`parse_settings()` does the work on a plain mapping of raw config strings, so tests and the
offline plan can call it without a Pulumi engine.

Each system's package holds its section parser (`components/network/settings.py`, ...): its
`KEYS`, its `SECRET_KEYS` if any, and `parse(reader)` returning its component's Args. Stack-wide
keys (`logRetentionDays`, the domain) are read through `components/config/stack.py`. This loader
sits above every package; the reader (`components/config/reader.py`) below them all.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace

import pulumi

from components.api import settings as api
from components.api.chalice_api import ChaliceApiArgs
from components.config import stack as stack_wide
from components.config.reader import Reader, SettingsError
from components.data import bucket_settings as storage
from components.data import database_settings as database
from components.data import file_system_settings as file_system
from components.data.bucket_settings import BucketSettings
from components.data.database import DatabaseArgs
from components.data.file_system import FileSystemArgs
from components.edge import settings as edge
from components.edge.edge import EdgeArgs
from components.messaging import settings as messaging
from components.messaging.settings import MessagingSettings
from components.monitor import settings as monitor
from components.monitor.args import UptimeMonitorArgs
from components.network import settings as network
from components.network.args import NetworkArgs
from components.web import settings as web
from components.web.args import WebTierArgs

__all__ = [
    "DEPRECATED_KEYS",
    "KNOWN_KEYS",
    "KNOWN_NAMESPACES",
    "SECRET_KEYS",
    "Settings",
    "SettingsError",
    "load_settings",
    "parse_settings",
]

_SECTIONS = (
    stack_wide,
    network,
    api,
    database,
    file_system,
    storage,
    monitor,
    messaging,
    web,
    edge,
)
KNOWN_KEYS: tuple[str, ...] = tuple(
    dict.fromkeys(key for section in _SECTIONS for key in section.KEYS)
)
# Keys replaced by another one; still read for one release, with a warning naming the new key.
DEPRECATED_KEYS: tuple[str, ...] = stack_wide.DEPRECATED_LOG_RETENTION_KEYS
# Settings set with `pulumi config set --secret`: validated without showing their value.
SECRET_KEYS: tuple[str, ...] = (*database.SECRET_KEYS, *monitor.SECRET_KEYS)
# Config namespaces besides the project's: the engine's own and the providers in requirements.in.
KNOWN_NAMESPACES: tuple[str, ...] = ("aws", "pulumi", "random")


@dataclass(frozen=True)
class Settings:
    """Everything the program needs from the stack's config, validated, as component Args."""

    project: str
    stack: str
    network: NetworkArgs
    api: ChaliceApiArgs
    database: DatabaseArgs
    file_system: FileSystemArgs
    buckets: BucketSettings
    monitor: UptimeMonitorArgs
    messaging: MessagingSettings
    web: WebTierArgs
    edge: EdgeArgs
    # Settings that still work but should change (deprecated keys), each naming the new key.
    warnings: tuple[str, ...] = ()


def load_settings() -> Settings:
    """Read and validate the current stack's config (project namespace)."""
    config = pulumi.Config()
    project = pulumi.get_project()
    every_key = _every_config_key()
    prefix = f"{project}:"
    keys = sorted(
        set(KNOWN_KEYS) | {key.removeprefix(prefix) for key in every_key if key.startswith(prefix)}
    )
    raw = {key: value for key in keys if (value := config.get(key)) is not None}
    region = pulumi.Config("aws").get("region")
    settings = parse_settings(
        raw,
        project=project,
        stack=pulumi.get_stack(),
        region=region,
        secret_keys=_secret_keys(project),
        other_keys=[key for key in every_key if not key.startswith(prefix)],
    )
    for warning in settings.warnings:
        pulumi.log.warn(warning)
    return settings


def _every_config_key() -> set[str]:
    """Every key the stack sets, qualified (`platform:natStrategy`), so misspelt ones are caught.

    `pulumi.Config` reads one key at a time; the whole map is the runtime's `CONFIG`, or the
    `PULUMI_CONFIG` environment variable the language host may pass it in.
    """
    every_key = {*pulumi.runtime.config.CONFIG.get(), *pulumi.runtime.config.get_config_env()}
    # Older engines spell a key `platform:config:natStrategy`.
    return {
        f"{namespace}:{name.removeprefix('config:')}"
        for namespace, _, name in (key.partition(":") for key in every_key)
    }


def _secret_keys(project: str) -> set[str]:
    """The secret settings the engine passed encrypted (`pulumi config set --secret`).

    The language host hands the program the keys whose stack value was `secure:`
    (`PULUMI_CONFIG_SECRET_KEYS`, kept by `pulumi.runtime.is_config_secret`): a plain value
    of a secret setting is one the engine does not name there.
    """
    from_env = set(pulumi.runtime.get_config_secret_keys_env())
    return {
        key
        for key in SECRET_KEYS
        if pulumi.runtime.is_config_secret(f"{project}:{key}") or f"{project}:{key}" in from_env
    }


def parse_settings(
    raw: Mapping[str, str],
    *,
    project: str,
    stack: str,
    region: str | None = None,
    secret_keys: Collection[str] | None = None,
    other_keys: Collection[str] = (),
) -> Settings:
    """Validate raw config strings (keys without the project prefix) into `Settings`.

    `secret_keys`: the secret settings whose value arrived encrypted; a secret setting given in
    plain text is refused (None: not known, not checked). `other_keys`: the stack's qualified
    keys outside the project's namespace; one in no known namespace is refused.
    """
    reader = Reader(raw, namespace=project, project=project, stack=stack, region=region)
    settings = Settings(
        project=project,
        stack=stack,
        network=network.parse(reader),
        api=api.parse(reader),
        database=database.parse(reader),
        file_system=file_system.parse(reader),
        buckets=storage.parse(reader),
        monitor=monitor.parse(reader),
        messaging=messaging.parse(reader),
        web=web.parse(reader),
        edge=edge.parse(reader),
    )
    if secret_keys is not None:
        _check_plain_secrets(reader, raw, secret_keys)
    _check_unknown_keys(reader, raw, other_keys)
    if reader.problems:
        raise SettingsError(reader.problems)
    return replace(settings, warnings=tuple(reader.warnings))


def _check_plain_secrets(
    reader: Reader, raw: Mapping[str, str], secret_keys: Collection[str]
) -> None:
    # What the Pulumi CLI does for a key declared `secret: true` ("... must be encrypted as it's
    # secret"), done here because that declaration would also refuse the keys' plain empty
    # defaults (Pulumi.yaml). An empty value is the default: unset.
    for key in SECRET_KEYS:
        if raw.get(key) and key not in secret_keys:
            reader.secret_problem(
                key,
                "must be encrypted: it is a secret setting but the stack gives it in plain text; "
                f"remove it from the stack file and run `pulumi config set --secret {key}`",
            )


def _check_unknown_keys(
    reader: Reader, raw: Mapping[str, str], other_keys: Collection[str]
) -> None:
    """Keys of this project it does not know, and keys in no known namespace (values unshown:
    a misspelt key may well hold a secret)."""
    project = reader.project
    for key in sorted(set(raw) - set(KNOWN_KEYS)):
        hint = _closest(key, KNOWN_KEYS)
        reader.problems.append(
            f"{project}:{key} is not a setting of this project; "
            + (f"did you mean {hint}?" if hint else f"known: {', '.join(KNOWN_KEYS)}")
        )
    for qualified in sorted(other_keys):
        namespace, _, key = qualified.partition(":")
        if namespace in KNOWN_NAMESPACES:
            continue
        hint = _closest(key, KNOWN_KEYS) if _closest(namespace, (project,)) else None
        reader.problems.append(
            f"{qualified}: namespace {namespace!r} is neither this project's ({project}) nor a "
            f"known provider's ({', '.join(KNOWN_NAMESPACES)})"
            + (f"; did you mean {project}:{hint}?" if hint else "")
        )


def _closest(word: str, choices: Collection[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)
    return matches[0] if matches else None
