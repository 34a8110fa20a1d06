"""Boot rehearsal of the web tier's nodes (`make test-node`, docs/web-node.md).

The user data WebTier renders, rendered by the same code for the Debian profile, boots as root
on this machine against real nginx, PHP-FPM and MariaDB; every check is an HTTP request to
nginx on 127.0.0.1 as the load balancer or CloudFront sends it, or a look at what the node
wrote. The steps run in order and build on each other (one site, then more nodes of it).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.web.os_profiles import AMAZON_LINUX_2023, DEBIAN_12
from tests.web.node import wordpress
from tests.web.node.conftest import World
from tests.web.node.machine import Node
from tests.web.node.visitor import (
    DISTRIBUTION_DNS,
    LOAD_BALANCER_DNS,
    TARGET_IP,
    Visitor,
    health_checker,
)

pytestmark = pytest.mark.node

FIXTURES = Path(__file__).parent / "fixtures"
WP_ROOT = "/var/www/wordpress"
WP_CONFIG = f"{WP_ROOT}/wp-config.php"
NGINX_CONF = "/etc/nginx/conf.d/wordpress.conf"
POST_TITLE = "Rehearsed on real nginx, PHP-FPM and MariaDB"
TIMER = "wordpress-node-config.timer"
REFRESH = "wordpress-node-config.service"


def booted(node: Node, user_data: str, **options) -> Node:
    boot = node.boot(user_data, **options)
    assert boot.returncode == 0, boot.log[-6000:]
    return node


def failed_boot(world: World, name: str, user_data: str, **options) -> str:
    """Boot a node that must stop; returns its log after checking it left no half config."""
    node = world.node(name)
    try:
        boot = node.boot(user_data, **options)
        assert boot.returncode != 0, boot.log[-4000:]
        written = {p.name for p in node.path(WP_ROOT).glob("*wp-config*")}
        assert written <= {"wp-config-sample.php"}, f"config left behind: {written}"
        assert not node.path(NGINX_CONF).exists()
        assert not serving()
        return boot.log
    finally:
        node.stop()


def serving() -> bool:
    try:
        health_checker(TARGET_IP).get("/healthy.html")
    except ConnectionRefusedError:
        return False
    return True


# --- one node ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def first(world: World) -> Iterator[Node]:
    node = booted(world.node("node-1"), world.user_data())
    yield node
    node.stop()


@pytest.fixture(scope="module")
def site(world: World, first: Node) -> dict[str, object]:
    """What the steps below create (install, post, media), for the later nodes to find."""
    return {}


def test_the_nginx_config_passes_nginx_t_with_amazon_linux_2023s_stock_nginx_conf(world: World):
    """The server block the script writes on AL2023, beside AL2023's own nginx.conf (fixture)."""
    node = world.node("al2023-nginx")
    try:
        node.write("/etc/nginx/nginx.conf", (FIXTURES / "al2023-nginx.conf").read_text())
        script = "/root/al2023-user-data.sh"
        node.write(script, world.user_data(AMAZON_LINUX_2023), mode=0o700)
        node.run(["useradd", "--system", "--no-create-home", "nginx"])
        node.run(["mkdir", "-p", WP_ROOT, "/etc/nginx/default.d"])
        node.run(["bash", "-c", f"source {script} && configure_nginx"])
        result = node.run(["nginx", "-t", "-c", "/etc/nginx/nginx.conf"], check=False)
        assert result.returncode == 0, result.stderr
        assert "syntax is ok" in result.stderr and "test is successful" in result.stderr
        # Ours, not the stock server block, answers requests for any name on port 80.
        assert re.search(r"listen 80 default_server;", node.path(NGINX_CONF).read_text())
    finally:
        node.stop()


def test_the_health_check_answers_for_the_ip_the_load_balancer_and_cloudfront_names(first):
    """The ALB's health check sends Host = the target's IP; CloudFront sends its own name or
    the origin's (the load balancer's DNS name), depending on the origin request policy."""
    for host in (TARGET_IP, LOAD_BALANCER_DNS, DISTRIBUTION_DNS):
        response = health_checker(host).get("/healthy.html")
        assert (response.status, response.text) == (200, "ok\n"), host


def test_the_front_page_reaches_wordpress_and_offers_its_install(first):
    response = Visitor().get("/")
    assert response.status == 200, response.text[:3000]
    assert "wp-admin/install.php" in response.text or "Install WordPress" in response.text


def test_install_post_and_upload_over_http_land_in_the_database_and_on_efs(world, first, site):
    visitor = Visitor()
    installed = wordpress.install(visitor)
    assert installed.status == 200 and "Success!" in installed.text, installed.text[:3000]
    nonce = wordpress.log_in(visitor)
    image = wordpress.png()
    media = wordpress.upload(visitor, nonce, "rehearsal.png", image)
    post = wordpress.publish(visitor, nonce, POST_TITLE, f'<img src="{media.source_url}">')
    front = Visitor().get("/")
    assert front.status == 200 and POST_TITLE in front.text, front.text[:3000]
    on_efs = world.wp_content / "uploads" / media.file
    assert on_efs.read_bytes() == image
    uploads_owner = (on_efs.stat().st_uid, on_efs.stat().st_gid)
    assert uploads_owner == (world.access_point.posix_uid, world.access_point.posix_gid)
    site.update(post=post, media=media, image=image)


def test_php_under_uploads_is_never_run(world, first, site):
    planted = world.wp_content / "uploads" / "planted.php"
    planted.write_text("<?php echo 'RAN-' . (6 * 7);\n")
    shutil.chown(planted, world.access_point.posix_uid, world.access_point.posix_gid)
    try:
        response = Visitor().get("/wp-content/uploads/planted.php")
        assert response.status == 403
        assert "RAN-42" not in response.text
    finally:
        planted.unlink()


def test_wp_config_is_readable_by_the_php_fpm_user_and_nobody_else(world, first):
    config = first.path(WP_CONFIG).stat()
    assert (config.st_uid, oct(config.st_mode & 0o777)) == (0, "0o640")
    readers = {
        DEBIAN_12.php_fpm_user: 0,
        "nobody": 1,
        str(world.access_point.posix_uid): 1,
    }
    for user, status in readers.items():
        result = first.run(["cat", WP_CONFIG], user=user, check=False)
        assert result.returncode == status, (user, result.stderr)


# --- more nodes of the same site -----------------------------------------------------------


@pytest.fixture(scope="module")
def second(world: World, first: Node, site) -> Iterator[Node]:
    assert site, "the first node's steps did not complete"
    first.stop()
    assert not serving()
    node = booted(world.node("node-2"), world.user_data())
    yield node
    node.stop()


def test_a_second_node_serves_the_same_post_and_media(world, second, site):
    front = Visitor().get("/")
    assert front.status == 200 and POST_TITLE in front.text
    media_path = "/wp-content/uploads/" + site["media"].file
    media = Visitor().get(media_path)
    assert (media.status, media.body) == (200, site["image"])


def node_state(world: World, node: Node) -> dict[str, str]:
    """What a boot writes: the node's config files, and wp-content on the file system."""
    state = {}
    for path in (WP_CONFIG, NGINX_CONF, "/etc/fstab", f"{WP_ROOT}/healthy.html"):
        state[path] = hashlib.sha256(node.path(path).read_bytes()).hexdigest()
    for path in sorted(world.wp_content.rglob("*")):
        status = path.lstat()
        state[str(path)] = (
            f"{status.st_mode:o} {status.st_uid} {status.st_size} {status.st_mtime_ns}"
        )
    return state


def test_rebooting_a_node_changes_nothing_and_keeps_one_fstab_line(world, second):
    before = node_state(world, second)
    booted(second, world.user_data())
    assert node_state(world, second) == before
    efs_lines = [
        line for line in second.path("/etc/fstab").read_text().splitlines() if " efs " in line
    ]
    assert len(efs_lines) == 1
    assert health_checker(TARGET_IP).get("/healthy.html").status == 200


def test_after_a_password_rotation_the_site_recovers_without_a_deploy(world, second):
    world.rotate_password()
    broken = Visitor().get("/")
    assert broken.status == 500 and "database connection" in broken.text
    # What the timer runs every interval (no systemd here to fire it): its service.
    enabled = second.path("/run/systemctl-rehearsal/enabled").read_text().split()
    assert TIMER in enabled
    second.run(["systemctl", "start", REFRESH])
    front = Visitor().get("/")
    assert front.status == 200 and POST_TITLE in front.text


def test_the_refresh_units_pass_systemd_analyze_verify(second):
    units = [f"/etc/systemd/system/{unit}" for unit in (REFRESH, TIMER)]
    result = second.run(["systemd-analyze", "verify", *units], check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    timer = second.path(units[1]).read_text()
    assert re.search(r"^OnUnitActiveSec=", timer, flags=re.MULTILINE)


# --- boots that must stop ------------------------------------------------------------------


@pytest.fixture(scope="module")
def nothing_serving(second: Node) -> None:
    second.stop()


def test_a_database_certificate_from_another_ca_is_refused(world, nothing_serving):
    world.database.serve_certificate(world.other_authority.issue("db-impostor"))
    try:
        log = failed_boot(world, "node-wrong-ca", world.user_data())
    finally:
        world.database.serve_certificate(world.authority.issue("db"))
    assert re.search(r"wordpress-node: ERROR: .*database.*certificate verify failed", log), log


def test_a_wrong_checksum_stops_the_boot(world, nothing_serving):
    wrong = "0" * 40
    log = failed_boot(world, "node-wrong-sha1", world.user_data(wordpress_sha1=wrong))
    assert f"wordpress-node: ERROR: checksum mismatch for wordpress-{world.release.version}" in log


def test_an_unreachable_secret_stops_the_boot(world, nothing_serving):
    nowhere = {"AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:9"}
    log = failed_boot(world, "node-no-secret", world.user_data(), environment=nowhere)
    assert "wordpress-node: ERROR: cannot read secret" in log, log


def test_an_unreachable_database_stops_the_boot(world, nothing_serving):
    log = failed_boot(world, "node-no-database", world.user_data(db_port=3307))
    assert re.search(r"wordpress-node: ERROR: .*database 127\.0\.0\.1:3307", log), log


def test_every_process_the_rehearsal_started_for_nodes_is_gone(world, nothing_serving):
    for node in world.nodes:
        node.stop()
    left = subprocess.run(["ps", "-eo", "comm="], capture_output=True, text=True).stdout.split()
    assert not {"nginx", "php-fpm8.2", "bindfs", "sleep"} & set(left), left
