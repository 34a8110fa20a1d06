"""What a site owner does, over HTTP: install WordPress, log in, publish a post, upload media."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from tests.web.node.visitor import Response, Visitor

ADMIN_USER = "rehearsal"
ADMIN_PASSWORD = "Rehearsal-only-passw0rd-!"  # noqa: S105 - a throwaway site on 127.0.0.1
ADMIN_EMAIL = "admin@example.com"
POSTS = "/?rest_route=/wp/v2/posts"
MEDIA = "/?rest_route=/wp/v2/media"


def install(visitor: Visitor) -> Response:
    """install.php's form, step 2 (what the browser posts after the welcome page)."""
    return visitor.post_form(
        "/wp-admin/install.php?step=2",
        {
            "weblog_title": "Boot rehearsal",
            "user_name": ADMIN_USER,
            "admin_password": ADMIN_PASSWORD,
            "admin_password2": ADMIN_PASSWORD,
            "admin_email": ADMIN_EMAIL,
            "blog_public": "0",
            "language": "",
            "Submit": "Install WordPress",
        },
    )


def log_in(visitor: Visitor) -> str:
    """Log in through wp-login.php; returns the REST API nonce of the session."""
    visitor.cookies["wordpress_test_cookie"] = "WP%20Cookie%20check"
    response = visitor.post_form(
        "/wp-login.php",
        {
            "log": ADMIN_USER,
            "pwd": ADMIN_PASSWORD,
            "wp-submit": "Log In",
            "redirect_to": "/wp-admin/",
            "testcookie": "1",
        },
        follow=False,
    )
    assert response.status == 302, (response.status, response.text[:2000])
    nonce = visitor.get("/wp-admin/admin-ajax.php?action=rest-nonce")
    assert nonce.status == 200 and nonce.text.strip() not in ("", "0"), nonce.text[:500]
    return nonce.text.strip()


@dataclass(frozen=True)
class Post:
    id: int
    link: str


def publish(visitor: Visitor, nonce: str, title: str, content: str) -> Post:
    response = visitor.post_json(
        POSTS, {"title": title, "content": content, "status": "publish"}, {"X-WP-Nonce": nonce}
    )
    assert response.status == 201, (response.status, response.text[:2000])
    document = response.json()
    return Post(document["id"], document["link"])


@dataclass(frozen=True)
class Media:
    source_url: str
    file: str  # relative to wp-content/uploads, like 2026/12/rehearsal.png


def upload(visitor: Visitor, nonce: str, name: str, data: bytes) -> Media:
    response = visitor.post_file(MEDIA, name, data, "image/png", {"X-WP-Nonce": nonce})
    assert response.status == 201, (response.status, response.text[:2000])
    document = response.json()
    return Media(document["source_url"], document["media_details"]["file"])


def png(width: int = 32, height: int = 32) -> bytes:
    """A small valid PNG (solid colour), for GD to read."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = b"".join(b"\x00" + b"\x20\x80\xc0" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
