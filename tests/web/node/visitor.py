"""HTTP requests to a node's nginx on 127.0.0.1:80, with the headers the load balancer and
CloudFront send: the Host they forward, and CloudFront-Forwarded-Proto / X-Forwarded-Proto.

Cookies are kept by name (WordPress marks its admin cookies Secure when the viewer used HTTPS,
which a cookie jar would not send over this plain connection to the origin)."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

NODE = ("127.0.0.1", 80)
# What each sender puts in Host for the same node.
TARGET_IP = "10.0.1.23"
LOAD_BALANCER_DNS = "platform-web-alb-1234567890.us-east-1.elb.amazonaws.com"
DISTRIBUTION_DNS = "d111111abcdef8.cloudfront.net"


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)


@dataclass
class Visitor:
    """Someone reaching the node through CloudFront (HTTPS viewer, origin over HTTP)."""

    host: str = DISTRIBUTION_DNS
    headers: dict[str, str] = field(
        default_factory=lambda: {"CloudFront-Forwarded-Proto": "https", "X-Forwarded-Proto": "http"}
    )
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        follow: bool = True,
    ) -> Response:
        for _ in range(10):
            response = self._once(method, path, body, headers or {})
            location = response.headers.get("location")
            if not (follow and response.status in (301, 302, 303, 307) and location):
                return response
            target = urlsplit(location)
            if target.netloc and target.hostname != self.host:
                return response
            path = target.path + (f"?{target.query}" if target.query else "")
            if response.status != 307:
                method, body = "GET", None
        raise AssertionError(f"too many redirects from {path}")

    def _once(self, method: str, path: str, body: bytes | None, headers: dict[str, str]):
        connection = http.client.HTTPConnection(*NODE, timeout=60)
        try:
            sent = {"Host": self.host, **self.headers, **headers}
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            connection.request(method, path, body=body, headers=sent)
            reply = connection.getresponse()
            for name, value in reply.getheaders():
                if name.lower() == "set-cookie":
                    cookie_name, _, rest = value.partition("=")
                    cookie_value = rest.split(";", 1)[0]
                    if cookie_value in ("deleted", "+", "") or "max-age=0" in value.lower():
                        self.cookies.pop(cookie_name, None)
                    else:
                        self.cookies[cookie_name] = cookie_value
            headers_seen = {name.lower(): value for name, value in reply.getheaders()}
            return Response(reply.status, headers_seen, reply.read())
        finally:
            connection.close()

    def get(self, path: str, **options) -> Response:
        return self.request("GET", path, **options)

    def post_form(self, path: str, fields: dict[str, str], **options) -> Response:
        body = urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.request("POST", path, body=body, headers=headers, **options)

    def post_json(self, path: str, document: object, headers: dict[str, str]) -> Response:
        body = json.dumps(document).encode()
        return self.request(
            "POST", path, body=body, headers={"Content-Type": "application/json", **headers}
        )

    def post_file(self, path: str, name: str, data: bytes, kind: str, headers: dict[str, str]):
        sent = {
            "Content-Type": kind,
            "Content-Disposition": f'attachment; filename="{name}"',
            **headers,
        }
        return self.request("POST", path, body=data, headers=sent)


def health_checker(host: str) -> Visitor:
    """The load balancer's health check: no CloudFront headers, Host as given."""
    return Visitor(host=host, headers={})
