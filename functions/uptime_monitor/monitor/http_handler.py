"""Lambda entry point `monitor.http_handler.handler`: the Flask app behind API Gateway (REST API,
proxy events)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from monitor.aws import dependencies

logging.getLogger("monitor").setLevel(logging.INFO)


@functools.cache
def wsgi_handler() -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The app, built by the first invocation (Flask and its stack are imported then)."""
    from apig_wsgi import make_lambda_handler  # noqa: PLC0415 - on first use

    from monitor.app import create_app  # noqa: PLC0415 - on first use: imports Flask

    deps = dependencies()
    # REST API (v1) proxy events; the app serves only text, so no binary media types needed.
    return make_lambda_handler(create_app(deps.config, store=deps.store), binary_support=False)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return wsgi_handler()(event, context)
