"""The WordPress node's user data is a real script: shellcheck-clean, and run by bash in a
temporary root with the system commands it calls (dnf, mount, aws, systemctl, curl, php, chgrp)
replaced by stubs that record their arguments. Everything else (tar, sha1sum, python3, grep) is
real. tests/web/node/ boots the same script against the real services (`make test-node`)."""

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

from components.web import WebTierArgs
from components.web.os_profiles import AMAZON_LINUX_2023, DEBIAN_12
from components.web.parts import SALT_KEYS, render_user_data, salts_document

SHELLCHECK = Path(sys.executable).parent / "shellcheck"
DB_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf"
SALTS_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:platform-web-salts-x"
# A password with the characters PHP and shells care about (RDS allows ' and $ and \).
PASSWORD = "pa'ss$wo\\rd!`x"
SALTS = salts_document("".join(chr(ord("a") + i % 26) for i in range(64 * 8)))
RDS_BUNDLE = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
FAKE_PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
STUBS = {
    # Each stub records its arguments, one call per line, then does what the test needs.
    "dnf": "",
    "mount": "",
    "systemctl": "",
    "chgrp": "",
    "id": 'echo "${*: -1}-group"',
    "curl": 'url="${*: -1}"; while [ $# -gt 0 ]; do [ "$1" = --output ] && out="$2"; shift; done\n'
    'case "$url" in *.pem) printf %s "$FAKE_PEM" >"$out" ;; *) cp "$FAKE_ARCHIVE" "$out" ;; esac',
    "aws": 'case "$*" in *"$DB_SECRET_ARN"*) cat "$DB_JSON" ;; *) cat "$SALTS_JSON" ;; esac',
    # The database check: what the database answers is the test's to say.
    "php": '[ -z "$DB_REFUSES" ] || { echo "$DB_REFUSES" >&2; exit 1; }',
}
# What a stub records of a call (php's first arguments and its last three, not its PHP code).
RECORDED = {"php": '"$1 $2 -- ${*: -3}"'}


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
        "wordpress_download_url": "https://wordpress.org",
        "db_ca_bundle_url": RDS_BUNDLE,
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
            recorded = RECORDED.get(command, '"$*"')
            stub.write_text(f'#!/bin/bash\necho "{command} "{recorded} >>"$CALLS"\n{body}\n')
            stub.chmod(0o755)
        (root / "wordpress.tar.gz").write_bytes(ARCHIVE)
        (root / "db.json").write_text(json.dumps({"username": "wpadmin", "password": PASSWORD}))
        (root / "salts.json").write_text(json.dumps(SALTS))
        (root / "system-cas.pem").write_text(FAKE_PEM)
        self.fstab.parent.mkdir(parents=True)
        self.node_dir = root / "etc/wordpress-node"
        self.pool_conf = root / "etc/php-fpm.d/zz-wordpress-node.conf"
        self.pool_conf.parent.mkdir(parents=True)
        self.command = root / "usr/local/sbin/wordpress-node"
        self.command.parent.mkdir(parents=True)
        self.units = root / "etc/systemd/system"
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
            "FAKE_PEM": FAKE_PEM,
            "PHP_FPM_POOL_CONF": str(self.pool_conf),
            "SYSTEM_CA_BUNDLE": str(root / "system-cas.pem"),
            "NODE_DIR": str(self.node_dir),
            "NODE_COMMAND": str(self.command),
            "UNIT_DIR": str(self.units),
        }

    def run(self, script: str, **environment: str) -> subprocess.CompletedProcess[str]:
        path = self.root / "user-data.sh"
        path.write_text(script)
        return subprocess.run(
            ["bash", str(path)],
            env={**self.environment, **environment},
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
    assert calls[0] == "dnf install -y " + " ".join(AMAZON_LINUX_2023.packages)
    assert {"nginx", "php-fpm", "php-mysqlnd", "amazon-efs-utils"} <= set(calls[0].split())
    assert (
        f"mount -t efs -o tls,iam,accesspoint=fsap-0123456789abcdef0 fs-0123456789abcdef0:/ "
        f"{content}"
    ) in calls
    assert node.fstab.read_text().splitlines() == [
        f"fs-0123456789abcdef0:/ {content} efs _netdev,tls,iam,accesspoint=fsap-0123456789abcdef0 0 0"
    ]
    download = [call for call in calls if call.startswith("curl ")]
    assert [call.split()[-1] for call in download] == [
        "https://wordpress.org/wordpress-7.1.tar.gz",
        RDS_BUNDLE,
    ]
    assert all("--proto =https" in call for call in download)
    assert (node.wp_root / "index.php").exists()
    # The shared wp-content is seeded with the bundled theme on EFS (the mount point here).
    assert (content / "themes/twentytwentyfive/style.css").exists()
    assert (node.wp_root / "healthy.html").read_text() == "ok\n"
    conf = node.nginx_conf.read_text()
    assert f"root {node.wp_root};" in conf and "location = /healthy.html" in conf
    assert calls[-2:] == ["systemctl enable php-fpm nginx", "systemctl restart php-fpm nginx"]


def test_wp_config_comes_from_the_secrets_with_tls_to_mysql_and_https_behind_the_alb(node: Node):
    assert node.run(render()).returncode == 0
    config = (node.wp_root / "wp-config.php").read_text()
    assert "define('DB_USER', 'wpadmin');" in config
    assert "define('DB_PASSWORD', 'pa\\'ss$wo\\\\rd!`x');" in config
    assert "define('DB_HOST', 'platform-db.abc.us-east-1.rds.amazonaws.com:3306');" in config
    assert "define('DB_NAME', 'wordpress');" in config
    for key in SALT_KEYS:
        assert f"define('{key}', '{SALTS[key]}');" in config
    # The server's certificate is verified, against PHP-FPM's openssl.cafile: the system's CAs
    # and RDS's bundle (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html).
    assert (
        "define('MYSQL_CLIENT_FLAGS', MYSQLI_CLIENT_SSL | MYSQLI_CLIENT_SSL_VERIFY_SERVER_CERT);"
    ) in config
    trust = node.node_dir / "php-trust.pem"
    assert trust.read_text() == FAKE_PEM + FAKE_PEM  # the system's CAs, then RDS's
    assert f"php_admin_value[openssl.cafile] = {trust}" in node.pool_conf.read_text()
    assert (
        "$viewer_proto = $_SERVER['HTTP_CLOUDFRONT_FORWARDED_PROTO'] ?? "
        "$_SERVER['HTTP_X_FORWARDED_PROTO'] ?? '';"
    ) in config
    assert "if ($viewer_proto === 'https') {" in config
    assert "define('FORCE_SSL_ADMIN', true);" in config
    assert config.rstrip().endswith("require_once ABSPATH . 'wp-settings.php';")
    assert oct((node.wp_root / "wp-config.php").stat().st_mode & 0o777) == "0o640"
    # Readable by PHP-FPM's group (the group of the profile's PHP-FPM user), checked first.
    [group] = [call for call in node.called() if call.startswith("chgrp ")]
    assert group.startswith(f"chgrp apache-group {node.wp_root}/.wp-config.php.")
    [check] = [call for call in node.called() if call.startswith("php ")]
    assert check == (
        f"php -d openssl.cafile={trust} -- platform-db.abc.us-east-1.rds.amazonaws.com 3306 "
        "wordpress"
    )
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


def test_a_database_that_refuses_stops_the_boot_before_any_config_exists(node: Node):
    refused = "Cannot connect to MySQL using SSL; certificate verify failed"
    result = node.run(render(), DB_REFUSES=refused)
    assert result.returncode != 0
    assert (
        "wordpress-node: ERROR: cannot connect to the database "
        f"platform-db.abc.us-east-1.rds.amazonaws.com:3306 over TLS verified against {RDS_BUNDLE}: "
        f"{refused}; wp-config.php not replaced"
    ) in result.stderr
    assert sorted(p.name for p in node.wp_root.glob("*wp-config*")) == []
    assert not node.nginx_conf.exists() and not node.command.exists()
    assert not any(call.startswith("systemctl ") for call in node.called())
    assert PASSWORD not in result.stdout + result.stderr


def test_a_node_follows_the_secret_with_a_timer_running_its_own_script(node: Node):
    script = render()
    assert node.run(script).returncode == 0
    # The installed command is this script (values and all), run as `wordpress-node config`.
    assert node.command.read_text() == script
    assert oct(node.command.stat().st_mode & 0o777) == "0o700"
    service = (node.units / "wordpress-node-config.service").read_text()
    assert "Type=oneshot" in service and f"ExecStart={node.command} config" in service
    timer = (node.units / "wordpress-node-config.timer").read_text()
    assert "OnUnitActiveSec=1min" in timer and "WantedBy=timers.target" in timer
    assert "systemctl enable --now wordpress-node-config.timer" in node.called()
    # What the timer runs: unchanged secrets leave wp-config.php as it is (same file)...
    config = node.wp_root / "wp-config.php"
    before = config.stat().st_ino
    refresh = subprocess.run(
        ["bash", str(node.command), "config"], env=node.environment, capture_output=True, text=True
    )
    assert refresh.returncode == 0, refresh.stderr
    assert "wp-config.php is current" in refresh.stdout and config.stat().st_ino == before
    assert "systemctl reload php-fpm" not in node.called()
    # ...a rotated password replaces it in one rename.
    (node.root / "db.json").write_text(json.dumps({"username": "wpadmin", "password": "new-pw"}))
    refresh = subprocess.run(
        ["bash", str(node.command), "config"], env=node.environment, capture_output=True, text=True
    )
    assert refresh.returncode == 0, refresh.stderr
    assert "define('DB_PASSWORD', 'new-pw');" in config.read_text()
    assert config.stat().st_ino != before
    # PHP-FPM reloads, or OPcache would keep running the old wp-config.php.
    assert node.called()[-1] == "systemctl reload php-fpm"


def test_the_rehearsed_script_differs_from_the_deployed_one_only_in_the_os_profile():
    """tests/web/node/ boots the Debian rendering; nodes run the Amazon Linux 2023 one."""
    deployed = render_user_data(values(), AMAZON_LINUX_2023).splitlines()
    rehearsed = render_user_data(values(), DEBIAN_12).splitlines()
    assert len(deployed) == len(rehearsed)
    differing = [line for line, other in zip(deployed, rehearsed, strict=True) if line != other]
    profile_lines = {
        f"readonly {name}=" for name in (
            "PACKAGE_MANAGER", "PACKAGES", "PHP_FPM_SERVICE", "PHP_FPM_USER", "PHP_FPM_SOCKET",
            "PHP_FPM_POOL_DIR", "NGINX_STOCK_SITE", "OS_CA_BUNDLE",
        )
    }  # fmt: skip
    for line in differing:
        assert line.startswith(("# What differs between distributions", *profile_lines)), line
    assert len(differing) == 9


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_stacks_run_the_amazon_linux_profile_and_verify_rds_with_aws_bundle(stack_plan, stack):
    [template] = stack_plan(stack).of_type("aws:ec2/launchTemplate:LaunchTemplate")
    script = base64.b64decode(template.inputs["userData"]).decode()
    defaults = WebTierArgs()
    assert f"readonly DB_CA_BUNDLE_URL='{defaults.db_ca_bundle_url}'" in script
    assert defaults.db_ca_bundle_url == RDS_BUNDLE
    assert "readonly WORDPRESS_DOWNLOAD_URL='https://wordpress.org'" in script
    assert "readonly PACKAGE_MANAGER='dnf'" in script and "(amazon-linux-2023:" in script


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
