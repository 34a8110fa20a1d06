"""The WordPress node's user data is a real script: shellcheck-clean, and run by bash in a
temporary root with the system commands it calls (dnf, mount, aws, systemctl, curl) replaced by
stubs that record their arguments. Everything else (tar, sha1sum, python3, grep) is real."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from components.web.parts import SALT_KEYS, render_user_data, salts_document

SHELLCHECK = Path(sys.executable).parent / "shellcheck"
DB_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf"
SALTS_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:platform-web-salts-x"
# A password with the characters PHP and shells care about (RDS allows ' and $ and \).
PASSWORD = "pa'ss$wo\\rd!`x"
SALTS = salts_document("".join(chr(ord("a") + i % 26) for i in range(64 * 8)))
STUBS = {
    # Each stub records its arguments, one call per line, then does what the test needs.
    "dnf": "",
    "mount": "",
    "systemctl": "",
    "curl": 'while [ $# -gt 0 ]; do [ "$1" = --output ] && cp "$FAKE_ARCHIVE" "$2"; shift; done',
    "aws": 'case "$*" in *"$DB_SECRET_ARN"*) cat "$DB_JSON" ;; *) cat "$SALTS_JSON" ;; esac',
}


def fake_wordpress() -> bytes:
    """A small release archive shaped like WordPress's: wordpress/..., wp-content inside."""
    files = {
        "wordpress/index.php": "<?php // front controller",
        "wordpress/wp-settings.php": "<?php // settings",
        "wordpress/wp-content/themes/twentytwentyfive/style.css": "/* theme */",
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


ARCHIVE = fake_wordpress()
ARCHIVE_SHA1 = hashlib.sha1(ARCHIVE).hexdigest()


def values(sha1: str = ARCHIVE_SHA1, force_ssl_admin: str = "true") -> dict[str, object]:
    return {
        "region": "us-east-1",
        "file_system_id": "fs-0123456789abcdef0",
        "access_point_id": "fsap-0123456789abcdef0",
        "db_secret_arn": DB_SECRET_ARN,
        "db_host": "platform-db.abc.us-east-1.rds.amazonaws.com",
        "db_port": 3306,
        "db_name": "wordpress",
        "salts_secret_arn": SALTS_SECRET_ARN,
        "wordpress_version": "7.1",
        "wordpress_sha1": sha1,
        "force_ssl_admin": force_ssl_admin,
        "health_check_path": "/healthy.html",
    }


def render(sha1: str = ARCHIVE_SHA1, force_ssl_admin: str = "true") -> str:
    return render_user_data(values(sha1, force_ssl_admin))


class Node:
    """A temporary root with stubbed system commands, and the script's run in it."""

    def __init__(self, root: Path):
        self.root = root
        self.wp_root = root / "var/www/wordpress"
        self.fstab = root / "etc/fstab"
        self.nginx_conf = root / "etc/nginx/conf.d/wordpress.conf"
        self.calls = root / "calls.log"
        stubs = root / "stubs"
        stubs.mkdir()
        for command, body in STUBS.items():
            stub = stubs / command
            stub.write_text(f'#!/bin/bash\necho "{command} $*" >>"$CALLS"\n{body}\n')
            stub.chmod(0o755)
        (root / "wordpress.tar.gz").write_bytes(ARCHIVE)
        (root / "db.json").write_text(json.dumps({"username": "wpadmin", "password": PASSWORD}))
        (root / "salts.json").write_text(json.dumps(SALTS))
        self.fstab.parent.mkdir(parents=True)
        self.environment = {
            "PATH": f"{stubs}:/usr/bin:/bin",
            "CALLS": str(self.calls),
            "FAKE_ARCHIVE": str(root / "wordpress.tar.gz"),
            "DB_SECRET_ARN": DB_SECRET_ARN,
            "DB_JSON": str(root / "db.json"),
            "SALTS_JSON": str(root / "salts.json"),
            "WP_ROOT": str(self.wp_root),
            "FSTAB": str(self.fstab),
            "NGINX_CONF": str(self.nginx_conf),
            "DOWNLOAD_DIR": str(root / "download"),
        }

    def run(self, script: str) -> subprocess.CompletedProcess[str]:
        path = self.root / "user-data.sh"
        path.write_text(script)
        return subprocess.run(
            ["bash", str(path)],
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def called(self) -> list[str]:
        return self.calls.read_text().splitlines() if self.calls.exists() else []


@pytest.fixture
def node(tmp_path: Path) -> Node:
    return Node(tmp_path)


def test_the_rendered_script_passes_shellcheck(tmp_path: Path):
    script = tmp_path / "user-data.sh"
    script.write_text(render())
    result = subprocess.run(
        [str(SHELLCHECK), "--severity=style", str(script)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def test_a_node_mounts_efs_with_tls_installs_the_verified_release_and_serves(node: Node):
    result = node.run(render())
    assert result.returncode == 0, result.stderr
    calls = node.called()
    content = node.wp_root / "wp-content"
    assert calls[0].startswith("dnf install -y nginx php-fpm php-mysqlnd")
    assert "amazon-efs-utils" in calls[0]
    assert (
        f"mount -t efs -o tls,iam,accesspoint=fsap-0123456789abcdef0 fs-0123456789abcdef0:/ "
        f"{content}"
    ) in calls
    assert node.fstab.read_text().splitlines() == [
        f"fs-0123456789abcdef0:/ {content} efs _netdev,tls,iam,accesspoint=fsap-0123456789abcdef0 0 0"
    ]
    download = [call for call in calls if call.startswith("curl ")]
    assert len(download) == 1 and "https://wordpress.org/wordpress-7.1.tar.gz" in download[0]
    assert "--proto =https" in download[0]
    assert (node.wp_root / "index.php").exists()
    # The shared wp-content is seeded with the bundled theme on EFS (the mount point here).
    assert (content / "themes/twentytwentyfive/style.css").exists()
    assert (node.wp_root / "healthy.html").read_text() == "ok\n"
    conf = node.nginx_conf.read_text()
    assert f"root {node.wp_root};" in conf and "location = /healthy.html" in conf
    assert calls[-1] == "systemctl enable --now php-fpm nginx"


def test_wp_config_comes_from_the_secrets_with_tls_to_mysql_and_https_behind_the_alb(node: Node):
    assert node.run(render()).returncode == 0
    config = (node.wp_root / "wp-config.php").read_text()
    assert "define('DB_USER', 'wpadmin');" in config
    assert "define('DB_PASSWORD', 'pa\\'ss$wo\\\\rd!`x');" in config
    assert "define('DB_HOST', 'platform-db.abc.us-east-1.rds.amazonaws.com:3306');" in config
    assert "define('DB_NAME', 'wordpress');" in config
    for key in SALT_KEYS:
        assert f"define('{key}', '{SALTS[key]}');" in config
    assert "define('MYSQL_CLIENT_FLAGS', MYSQLI_CLIENT_SSL);" in config
    assert (
        "$viewer_proto = $_SERVER['HTTP_CLOUDFRONT_FORWARDED_PROTO'] ?? "
        "$_SERVER['HTTP_X_FORWARDED_PROTO'] ?? '';"
    ) in config
    assert "if ($viewer_proto === 'https') {" in config
    assert "define('FORCE_SSL_ADMIN', true);" in config
    assert config.rstrip().endswith("require_once ABSPATH . 'wp-settings.php';")
    assert oct((node.wp_root / "wp-config.php").stat().st_mode & 0o777) == "0o640"
    secrets_read = [call for call in node.called() if call.startswith("aws ")]
    assert secrets_read == [
        f"aws secretsmanager get-secret-value --region us-east-1 --secret-id {arn} "
        "--query SecretString --output text"
        for arn in (DB_SECRET_ARN, SALTS_SECRET_ARN)
    ]


def test_without_https_admin_is_not_forced_onto_a_scheme_the_site_lacks(node: Node):
    assert node.run(render(force_ssl_admin="false")).returncode == 0
    assert "define('FORCE_SSL_ADMIN', false);" in (node.wp_root / "wp-config.php").read_text()


def test_a_wrong_checksum_stops_the_node_before_anything_is_installed(node: Node):
    wrong = "0" * 40
    result = node.run(render(sha1=wrong))
    assert result.returncode != 0
    assert (
        f"checksum mismatch for wordpress-7.1.tar.gz: expected sha1 {wrong}, got {ARCHIVE_SHA1}"
    ) in result.stderr
    assert not (node.wp_root / "index.php").exists()
    assert not (node.wp_root / "wp-config.php").exists()
    assert not any(call.startswith(("aws ", "systemctl ")) for call in node.called())


def test_a_second_boot_keeps_one_fstab_entry(node: Node):
    assert node.run(render()).returncode == 0
    assert node.run(render()).returncode == 0
    assert len(node.fstab.read_text().splitlines()) == 1


def test_a_value_that_could_break_out_of_its_quotes_is_refused():
    with pytest.raises(ValueError, match="db_host"):
        render_user_data({**values(), "db_host": "x'; rm -rf / #"})
    with pytest.raises(ValueError, match="salts_secret_arn"):
        render_user_data({key: value for key, value in values().items() if "salts" not in key})


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_stacks_user_data_names_its_secrets_but_holds_none(stack_plan, stack):
    plan = stack_plan(stack)
    [template] = plan.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    script = base64.b64decode(template.inputs["userData"]).decode()
    # Two random values: the web tier's salts, and the edge's origin secret (never in user data).
    salts = plan.named("platform-web-salts-random")
    assert plan.named("platform-edge-cdn-origin-secret").outputs["result"] not in script
    [instance] = plan.of_type("aws:rds/instance:Instance")
    secret_arn = instance.outputs["masterUserSecrets"][0]["secretArn"]
    assert f"readonly DB_SECRET_ARN='{secret_arn}'" in script
    salts_arn = plan.named("platform-web-salts").outputs["arn"]
    assert f"readonly SALTS_SECRET_ARN='{salts_arn}'" in script
    assert salts.outputs["result"][:64] not in script
    assert "{{" not in script
