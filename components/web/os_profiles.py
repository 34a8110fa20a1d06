"""The one place a WordPress node's boot script differs between distributions.

The script (templates/wordpress_user_data.sh) is the same text for every distribution; only these
names are rendered into its profile block. Amazon Linux 2023 is what the nodes run; Debian 12 is
what the boot rehearsal (`make test-node`, docs/web-node.md) runs the same script on.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OsProfile:
    """A distribution's package manager, package names, PHP-FPM identity and config paths."""

    name: str
    package_manager: str
    packages: tuple[str, ...]
    php_fpm_service: str
    php_fpm_user: str
    php_fpm_socket: str
    php_fpm_pool_dir: str
    # A site the nginx package enables that claims `default_server` itself ("" = none).
    nginx_stock_site: str
    # The system's trusted CAs (PEM), kept beside the database's CA for PHP's other TLS uses.
    system_ca_bundle: str

    def values(self) -> dict[str, str]:
        """The profile block of the boot script: placeholder -> value."""
        return {
            "os_profile": self.name,
            "package_manager": self.package_manager,
            "packages": " ".join(self.packages),
            "php_fpm_service": self.php_fpm_service,
            "php_fpm_user": self.php_fpm_user,
            "php_fpm_socket": self.php_fpm_socket,
            "php_fpm_pool_dir": self.php_fpm_pool_dir,
            "nginx_stock_site": self.nginx_stock_site,
            "system_ca_bundle": self.system_ca_bundle,
        }


# AL2023's package manager is dnf; the package names, PHP-FPM's pool user `apache` and socket
# /run/php-fpm/www.sock (its /etc/php-fpm.d/www.conf) are the ones the script deployed before this
# profile existed, plus php-cli for the database check. No AL2023 instance checks them here: the
# rehearsal boots the Debian profile (docs/web-node.md, "What it does not cover").
AMAZON_LINUX_2023 = OsProfile(
    name="amazon-linux-2023",
    package_manager="dnf",
    packages=(
        "nginx",
        "php-fpm",
        "php-cli",
        "php-mysqlnd",
        "php-gd",
        "php-mbstring",
        "php-xml",
        "php-intl",
        "amazon-efs-utils",
    ),  # fmt: skip
    php_fpm_service="php-fpm",
    php_fpm_user="apache",
    php_fpm_socket="/run/php-fpm/www.sock",
    php_fpm_pool_dir="/etc/php-fpm.d",
    nginx_stock_site="",
    system_ca_bundle="/etc/pki/tls/certs/ca-bundle.crt",
)

# Debian 12's php8.2-fpm (pool.d/www.conf: www-data on /run/php/php8.2-fpm.sock) and nginx
# (sites-enabled/default listens with `default_server`). There is no amazon-efs-utils: the
# rehearsal brings its own `mount.efs` (tests/web/node/).
DEBIAN_12 = OsProfile(
    name="debian-12",
    package_manager="apt-get",
    packages=(
        "nginx",
        "php-fpm",
        "php-cli",
        "php-mysql",
        "php-gd",
        "php-mbstring",
        "php-xml",
        "php-intl",
    ),  # fmt: skip
    php_fpm_service="php8.2-fpm",
    php_fpm_user="www-data",
    php_fpm_socket="/run/php/php8.2-fpm.sock",
    php_fpm_pool_dir="/etc/php/8.2/fpm/pool.d",
    nginx_stock_site="/etc/nginx/sites-enabled/default",
    system_ca_bundle="/etc/ssl/certs/ca-certificates.crt",
)
