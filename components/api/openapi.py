"""The REST API document `chalice deploy` would import, generated from a Chalice app's routes.

`load_chalice_app` imports a Chalice app's `app.py` in-process, as the Chalice CLI does, without
disturbing modules of the same names (`app`, `chalicelib`) that are already imported.

`chalice_swagger` asks Chalice's own `SwaggerGenerator` for the Swagger 2.0 document of the app:
one path per route, one method per view, each with an `aws_proxy` integration (POST to the
function's invoke ARN), path parameters, CORS preflights, binary media types. The invoke ARN is
not known until the function exists, so the document holds `INVOKE_ARN_PLACEHOLDER` where it goes;
`render_body` puts the real ARN in. The document itself, and so its hash, is known at preview.

Authorization: with `AWS_IAM`, every route that does not name an authorizer of its own gets the
`sigv4` security requirement, exactly as Chalice writes a route declared with
`authorizer=IAMAuthorizer()`. With `NONE`, routes are open unless the app protects them itself.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from chalice.app import Chalice, ChaliceAuthorizer, IAMAuthorizer
from chalice.deploy.swagger import SwaggerGenerator

from components.common.shared import API_AUTHORIZATIONS as AUTHORIZATIONS
from components.common.shared import ApiAuthorization as Authorization

# Stands for the Lambda function's invoke ARN until it is known; a plain JSON string.
INVOKE_ARN_PLACEHOLDER = "${api_handler_invoke_arn}"
# The module a Chalice archive's handler lives in (`build_chalice_archive` ships `app.py`).
APP_MODULE = "app"
_LOCAL_PACKAGES = ("chalicelib",)


class _PlaceholderSwaggerGenerator(SwaggerGenerator):
    """Chalice's generator, with the integration URI left for the invoke ARN."""

    def __init__(self) -> None:
        # The base class needs a region and deployed resources only to build the URI.
        pass

    def _uri(self, lambda_arn: str | None = None) -> Any:
        return INVOKE_ARN_PLACEHOLDER

    def _auth_uri(self, authorizer: ChaliceAuthorizer) -> Any:
        raise ValueError(
            f"app_dir: route authorizer {authorizer.name!r} is a Lambda authorizer of the app; "
            "ChaliceApi deploys one function only. Use authorization='AWS_IAM', or an IAM or "
            "Cognito authorizer"
        )


def load_chalice_app(app_dir: Path | str, app_object: str = "app") -> Chalice:
    """Import `<app_dir>/app.py` and return its Chalice object named `app_object`.

    The app is imported with `app_dir` first on `sys.path` (so its `chalicelib` is found) and
    under a private module name; afterwards `sys.path` and any `app` or `chalicelib` modules
    imported before are as they were.
    """
    app_dir = Path(app_dir).resolve()
    app_file = app_dir / f"{APP_MODULE}.py"
    if not app_file.is_file():
        raise ValueError(f"app_dir: {str(app_dir)!r} has no {APP_MODULE}.py")
    module_name = f"_chalice_app_{hashlib.sha256(str(app_dir).encode()).hexdigest()[:12]}"
    saved_path = list(sys.path)
    saved_modules = _take_local_modules()
    try:
        sys.path.insert(0, str(app_dir))
        spec = importlib.util.spec_from_file_location(module_name, app_file)
        if spec is None or spec.loader is None:
            raise ValueError(f"app_dir: cannot import {app_file}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved_path
        sys.modules.pop(module_name, None)
        _take_local_modules()
        sys.modules.update(saved_modules)
    return _chalice_object(module, app_file, app_object)


def _take_local_modules() -> dict[str, ModuleType]:
    """Remove and return the imported modules an app directory provides itself."""
    names = [
        name
        for name in sys.modules
        if name == APP_MODULE or any(name.split(".")[0] == top for top in _LOCAL_PACKAGES)
    ]
    return {name: sys.modules.pop(name) for name in names}


def _chalice_object(module: ModuleType, app_file: Path, app_object: str) -> Chalice:
    app = getattr(module, app_object, None)
    if not isinstance(app, Chalice):
        raise ValueError(f"app_object: {app_file} has no Chalice object named {app_object!r}")
    if not app.routes:
        raise ValueError(f"app_object: the Chalice app in {app_file} has no routes to serve")
    return app


def chalice_swagger(app: Chalice, authorization: Authorization) -> dict[str, Any]:
    """The Swagger 2.0 document `chalice deploy` would import for `app`, with the invoke ARN
    left as `INVOKE_ARN_PLACEHOLDER` and `authorization` applied to unprotected routes."""
    if authorization not in AUTHORIZATIONS:
        raise ValueError(f"authorization: {authorization!r} must be one of {AUTHORIZATIONS}")
    document = _PlaceholderSwaggerGenerator().generate_swagger(app)
    if authorization == "AWS_IAM":
        _require_sigv4(document)
    return document


def _require_sigv4(document: dict[str, Any]) -> None:
    iam = IAMAuthorizer()
    for methods in document["paths"].values():
        for operation in methods.values():
            is_proxy = operation["x-amazon-apigateway-integration"]["type"] == "aws_proxy"
            # CORS preflights (mock integrations) stay open, as browsers send them unsigned.
            if is_proxy and "security" not in operation:
                operation["security"] = [{iam.name: iam.scopes}]
                document.setdefault("securityDefinitions", {})[iam.name] = iam.to_swagger()


def swagger_template(document: dict[str, Any]) -> str:
    """The document as canonical JSON (sorted keys), still holding the placeholder."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def render_body(template: str, invoke_arn: str) -> str:
    """The REST API body: the template with the function's invoke ARN in every integration."""
    return template.replace(INVOKE_ARN_PLACEHOLDER, invoke_arn)


def body_sha256(template: str) -> str:
    """What the deployment's trigger holds: changes exactly when the routes or their settings do."""
    return hashlib.sha256(template.encode("utf-8")).hexdigest()
