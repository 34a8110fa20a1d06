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

from collections.abc import Mapping
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
    keys = sorted(set(KNOWN_KEYS) | _keys_set_in_namespace(project))
    raw = {key: value for key in keys if (value := config.get(key)) is not None}
    region = pulumi.Config("aws").get("region")
    settings = parse_settings(raw, project=project, stack=pulumi.get_stack(), region=region)
    for warning in settings.warnings:
        pulumi.log.warn(warning)
    return settings


def _keys_set_in_namespace(project: str) -> set[str]:
    """Every key the stack sets in the project's namespace, so a misspelt one is caught.

    `pulumi.Config` reads one key at a time; the whole map is the runtime's `CONFIG`, or the
    `PULUMI_CONFIG` environment variable the language host may pass it in.
    """
    prefix = f"{project}:"
    every_key = {*pulumi.runtime.config.CONFIG.get(), *pulumi.runtime.config.get_config_env()}
    return {
        key.removeprefix(prefix).removeprefix("config:")
        for key in every_key
        if key.startswith(prefix)
    }


def parse_settings(
    raw: Mapping[str, str], *, project: str, stack: str, region: str | None = None
) -> Settings:
    """Validate raw config strings (keys without the project prefix) into `Settings`."""
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
    for key in sorted(set(raw) - set(KNOWN_KEYS)):
        # Its value is not shown: a misspelt key may well hold a secret.
        reader.problems.append(
            f"{project}:{key} is not a setting of this project (known: {', '.join(KNOWN_KEYS)})"
        )
    if reader.problems:
        raise SettingsError(reader.problems)
    return replace(settings, warnings=tuple(reader.warnings))
