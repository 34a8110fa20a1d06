"""Lambda entry point `monitor.scheduled_handler.handler`: the EventBridge schedule's checks.

It never imports Flask: the scheduled function loads only what a run needs.
"""

from __future__ import annotations

import logging
from typing import Any

from monitor.aws import dependencies
from monitor.scheduled import run_checks

logging.getLogger("monitor").setLevel(logging.INFO)


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    deps = dependencies()
    return run_checks(deps.config, store=deps.store, publishers=deps.publishers).as_dict()
