"""The boot rehearsal's world: a database like RDS, Secrets Manager, a wordpress.org mirror and
an EFS file system on 127.0.0.1, and web nodes booted from the component's own user data.

Runs only under `make test-node` (tests/web/node/sandbox), which gives the session network,
PID and mount namespaces of its own: nothing it starts is reachable from outside or outlives it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from components.data import FileSystemArgs
from components.web import WebTierArgs
from components.web.os_profiles import DEBIAN_12, OsProfile
from components.web.parts import render_user_data, salts_document
from tests.web.node.machine import Node
from tests.web.node.pki import LOOPBACK, Authority
from tests.web.node.release import Release, repack
from tests.web.node.services import (
    FAKE_KEYS,
    REGION,
    Database,
    Mirror,
    SecretsManager,
)

DB_NAME = "wordpress"
DB_USER = "wpadmin"
FILE_SYSTEM_ID = "fs-0123456789abcdef0"
ACCESS_POINT_ID = "fsap-0123456789abcdef0"
# Debian's nginx workers run as www-data (its nginx.conf), like its PHP-FPM pool.
NGINX_USER = "www-data"
DB_CA_BUNDLE = "rds-ca/global-bundle.pem"


def in_sandbox() -> bool:
    """Only a loopback interface: the private network namespace `make test-node` makes."""
    return sorted(os.listdir("/sys/class/net")) == ["lo"] and os.geteuid() == 0


@dataclass
class World:
    directory: Path
    authority: Authority
    other_authority: Authority
    release: Release
    mirror: Mirror
    secrets_manager: SecretsManager
    database: Database
    db_secret_arn: str
    salts_secret_arn: str
    efs_backing: Path
    access_point: FileSystemArgs
    nodes: list[Node] = field(default_factory=list)

    @property
    def node_environment(self) -> dict[str, str]:
        """The machine's environment: AWS reached through an endpoint variable, curl trusting
        the mirror's CA (an EC2 node has IMDS credentials and the public CAs instead)."""
        return {
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": self.secrets_manager.url,
            "AWS_ACCESS_KEY_ID": FAKE_KEYS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": FAKE_KEYS["aws_secret_access_key"],
            "AWS_CONFIG_FILE": "/nonexistent",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
            "AWS_EC2_METADATA_DISABLED": "true",
            "CURL_CA_BUNDLE": str(self.authority.pem),
            "DEBIAN_FRONTEND": "noninteractive",
        }

    def tier_args(self, **changes) -> WebTierArgs:
        """The web tier's Args as a stack would set them, pointed at this world's mirror."""
        settings = {
            "wordpress_version": self.release.version,
            "wordpress_sha1": self.release.sha1,
            "wordpress_download_url": self.mirror.url,
            # The same setting as AWS's RDS bundle in a stack, pointed at the rehearsal's CA.
            "db_ca_bundle_url": f"{self.mirror.url}/{DB_CA_BUNDLE}",
        }
        return WebTierArgs(**{**settings, **changes})

    def user_data(
        self, profile: OsProfile = DEBIAN_12, db_port: int = Database.PORT, **changes
    ) -> str:
        """The boot script as the component renders it (WebTierArgs.user_data_values and
        render_user_data, what WebTier does), for `profile`."""
        wired = {
            "file_system_id": FILE_SYSTEM_ID,
            "access_point_id": ACCESS_POINT_ID,
            "db_secret_arn": self.db_secret_arn,
            "db_host": LOOPBACK,
            "db_port": db_port,
            "db_name": DB_NAME,
            "salts_secret_arn": self.salts_secret_arn,
        }
        values = self.tier_args(**changes).user_data_values(wired, REGION)
        return render_user_data(values, profile)

    def efs_definitions(self) -> dict:
        point = self.access_point
        return {
            "file_systems": {FILE_SYSTEM_ID: str(self.efs_backing)},
            "access_points": {
                ACCESS_POINT_ID: {
                    "file_system_id": FILE_SYSTEM_ID,
                    "uid": point.posix_uid,
                    "gid": point.posix_gid,
                    "path": point.root_directory,
                    "permissions": point.root_permissions,
                }
            },
            # The node's service users: root is privileged already (see bin/mount.efs).
            "mirror": sorted({DEBIAN_12.php_fpm_user, NGINX_USER}),
        }

    def node(self, name: str) -> Node:
        node = Node(name, self.directory / name, self.node_environment, self.efs_definitions())
        self.nodes.append(node)
        return node

    @property
    def wp_content(self) -> Path:
        """The access point's root on the file system: what every node mounts as wp-content."""
        return self.efs_backing / self.access_point.root_directory.lstrip("/")

    def rotate_password(self) -> None:
        """What RDS's managed rotation does: a new password on the server and in the secret."""
        password = secrets.token_urlsafe(24)
        self.database.sql(f"ALTER USER '{DB_USER}'@'%' IDENTIFIED BY '{password}'")
        self.secrets_manager.put(
            self.db_secret_arn, json.dumps({"username": DB_USER, "password": password})
        )


@pytest.fixture(scope="session")
def world() -> Iterator[World]:
    if not in_sandbox():
        pytest.fail("the boot rehearsal runs as root in its own namespaces: `make test-node`")
    # World-readable, so the access point's uid can reach the file system's directory.
    directory = Path(tempfile.mkdtemp(prefix="web-node-rehearsal-", dir="/tmp"))
    directory.chmod(0o755)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    started: list = []
    try:
        authority = Authority("rehearsal-ca", directory / "pki")
        other = Authority("another-ca", directory / "pki-other")
        files = directory / "mirror"
        files.mkdir()
        release = repack(files)
        (files / DB_CA_BUNDLE).parent.mkdir()
        shutil.copyfile(authority.pem, files / DB_CA_BUNDLE)
        mirror = Mirror(files, authority.issue("mirror"))
        started.append(mirror)
        secrets_manager = SecretsManager()
        started.append(secrets_manager)
        database = Database(directory / "db", authority.issue("db"))
        started.append(database)
        password = secrets.token_urlsafe(24)
        database.sql(
            f"CREATE DATABASE {DB_NAME}; CREATE USER '{DB_USER}'@'%' IDENTIFIED BY '{password}'; "
            f"GRANT ALL ON {DB_NAME}.* TO '{DB_USER}'@'%'"
        )
        db_secret_arn = secrets_manager.create(
            "rds!db-rehearsal", json.dumps({"username": DB_USER, "password": password})
        )
        salts_secret_arn = secrets_manager.create(
            "platform-web-salts", json.dumps(salts_document(secrets.token_hex(256)))
        )
        efs_backing = directory / "efs"
        efs_backing.mkdir(mode=0o755)
        built = World(
            directory=directory,
            authority=authority,
            other_authority=other,
            release=release,
            mirror=mirror,
            secrets_manager=secrets_manager,
            database=database,
            db_secret_arn=db_secret_arn,
            salts_secret_arn=salts_secret_arn,
            efs_backing=efs_backing,
            access_point=FileSystemArgs(),
        )
        try:
            yield built
        finally:
            for node in built.nodes:
                node.stop()
    finally:
        for service in reversed(started):
            service.stop()
        shutil.rmtree(directory, ignore_errors=True)
