#!/bin/bash
# Boot script of a WordPress node, rendered by components/web/parts.py (render_user_data).
# Every node is the same: wp-content lives on EFS (mounted with TLS through the access point),
# and the database credentials and the authentication salts are read from Secrets Manager with
# the instance role, at boot and again every minute (RDS rotates its managed secret), by
# `wordpress-node config`: this script installs itself as that command. It holds no secret;
# nothing it prints holds one either. Rehearsed on Debian by `make test-node` (docs/web-node.md).
set -euo pipefail

readonly AWS_REGION='{{region}}'
readonly FILE_SYSTEM_ID='{{file_system_id}}'
readonly ACCESS_POINT_ID='{{access_point_id}}'
readonly DB_SECRET_ARN='{{db_secret_arn}}'
readonly DB_HOST='{{db_host}}'
readonly DB_PORT='{{db_port}}'
readonly DB_NAME='{{db_name}}'
readonly DB_CA_BUNDLE_URL='{{db_ca_bundle_url}}'
readonly SALTS_SECRET_ARN='{{salts_secret_arn}}'
readonly WORDPRESS_DOWNLOAD_URL='{{wordpress_download_url}}'
readonly WORDPRESS_VERSION='{{wordpress_version}}'
readonly WORDPRESS_SHA1='{{wordpress_sha1}}'
readonly FORCE_SSL_ADMIN='{{force_ssl_admin}}'
readonly HEALTH_CHECK_PATH='{{health_check_path}}'

# What differs between distributions ({{os_profile}}: components/web/os_profiles.py); the rest of
# the script is the same on every one.
readonly PACKAGE_MANAGER='{{package_manager}}'
readonly PACKAGES='{{packages}}'
readonly PHP_FPM_SERVICE='{{php_fpm_service}}'
readonly PHP_FPM_USER='{{php_fpm_user}}'
readonly PHP_FPM_SOCKET='{{php_fpm_socket}}'
readonly PHP_FPM_POOL_DIR='{{php_fpm_pool_dir}}'
readonly NGINX_STOCK_SITE='{{nginx_stock_site}}'
readonly OS_CA_BUNDLE='{{system_ca_bundle}}'

# TLS to the database, verified (PHP checks the certificate against openssl.cafile and the
# host name against DB_HOST). The same flags for WordPress and for the checks below.
readonly MYSQL_CLIENT_FLAGS='MYSQLI_CLIENT_SSL | MYSQLI_CLIENT_SSL_VERIFY_SERVER_CERT'
readonly REFRESH_UNIT='wordpress-node-config'

# Real paths by default; a test moves them into a temporary root.
WP_ROOT="${WP_ROOT:-/var/www/wordpress}"
FSTAB="${FSTAB:-/etc/fstab}"
NGINX_CONF="${NGINX_CONF:-/etc/nginx/conf.d/wordpress.conf}"
PHP_FPM_POOL_CONF="${PHP_FPM_POOL_CONF:-$PHP_FPM_POOL_DIR/zz-wordpress-node.conf}"
SYSTEM_CA_BUNDLE="${SYSTEM_CA_BUNDLE:-$OS_CA_BUNDLE}"
DOWNLOAD_DIR="${DOWNLOAD_DIR:-/var/tmp/wordpress-download}"
NODE_DIR="${NODE_DIR:-/etc/wordpress-node}"
NODE_COMMAND="${NODE_COMMAND:-/usr/local/sbin/wordpress-node}"
UNIT_DIR="${UNIT_DIR:-/etc/systemd/system}"

log() { echo "wordpress-node: $*"; }
fail() {
  echo "wordpress-node: ERROR: $*" >&2
  exit 1
}

install_packages() {
  local packages
  read -ra packages <<<"$PACKAGES"
  log "installing ${packages[*]}"
  "$PACKAGE_MANAGER" install -y "${packages[@]}"
}

mount_wp_content() {
  local content="$WP_ROOT/wp-content"
  local options="tls,iam,accesspoint=$ACCESS_POINT_ID"
  local entry="$FILE_SYSTEM_ID:/ $content efs _netdev,$options 0 0"
  mkdir -p "$content"
  if ! grep -qxF "$entry" "$FSTAB" 2>/dev/null; then
    echo "$entry" >>"$FSTAB"
  fi
  log "mounting $FILE_SYSTEM_ID through $ACCESS_POINT_ID with TLS at $content"
  mount -t efs -o "$options" "$FILE_SYSTEM_ID:/" "$content"
}

download() {
  curl --fail --silent --show-error --location --proto '=https' --tlsv1.2 --output "$2" "$1"
}

download_wordpress() {
  local archive="$DOWNLOAD_DIR/wordpress-$WORDPRESS_VERSION.tar.gz"
  local url="$WORDPRESS_DOWNLOAD_URL/wordpress-$WORDPRESS_VERSION.tar.gz"
  local actual
  mkdir -p "$DOWNLOAD_DIR"
  download "$url" "$archive" || fail "cannot download $url; WordPress not installed"
  actual="$(sha1sum "$archive" | cut -d ' ' -f 1)"
  if [[ "$actual" != "$WORDPRESS_SHA1" ]]; then
    rm -f "$archive"
    fail "checksum mismatch for wordpress-$WORDPRESS_VERSION.tar.gz: expected sha1 $WORDPRESS_SHA1, got $actual; WordPress not installed"
  fi
  echo "$archive"
}

trust_database_ca() {
  # RDS's certificates chain to AWS's own CAs, which are not in the system's trust store: PHP
  # trusts the system's CAs plus the database's (its openssl.cafile, set for PHP-FPM below).
  local bundle="$NODE_DIR/db-ca.pem"
  mkdir -p "$NODE_DIR"
  download "$DB_CA_BUNDLE_URL" "$bundle.new" ||
    fail "cannot download the database's CA bundle from $DB_CA_BUNDLE_URL"
  grep -q -- '-----BEGIN CERTIFICATE-----' "$bundle.new" ||
    fail "$DB_CA_BUNDLE_URL holds no PEM certificate"
  mv -f "$bundle.new" "$bundle"
  cat "$SYSTEM_CA_BUNDLE" "$bundle" >"$NODE_DIR/php-trust.pem.new"
  chmod 0644 "$bundle" "$NODE_DIR/php-trust.pem.new"
  mv -f "$NODE_DIR/php-trust.pem.new" "$NODE_DIR/php-trust.pem"
  log "PHP trusts the database's CAs from $DB_CA_BUNDLE_URL"
}

install_wordpress() {
  local archive="$1"
  log "installing WordPress $WORDPRESS_VERSION (sha1 verified)"
  tar -xzf "$archive" -C "$WP_ROOT" --strip-components=1 --exclude='wordpress/wp-content'
  # The shared wp-content keeps what is there; the first node seeds the bundled themes. The EFS
  # access point makes every file its own user's and refuses chown, even root's: keep no owner.
  tar -xzf "$archive" -C "$WP_ROOT" --strip-components=1 --skip-old-files --no-same-owner \
    'wordpress/wp-content'
}

secret_string() {
  aws secretsmanager get-secret-value --region "$AWS_REGION" --secret-id "$1" \
    --query SecretString --output text
}

render_wp_config() {
  DATABASE_JSON="$1" SALTS_JSON="$2" python3 - "$3" "$DB_NAME" "$DB_HOST:$DB_PORT" \
    "$FORCE_SSL_ADMIN" "$MYSQL_CLIENT_FLAGS" <<'PYTHON'
import json
import os
import sys

path, name, host, force_ssl_admin, client_flags = sys.argv[1:]
database = json.loads(os.environ["DATABASE_JSON"])
salts = json.loads(os.environ["SALTS_JSON"])


def php(value):
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


lines = ["<?php", "// Written by /usr/local/sbin/wordpress-node from Secrets Manager; never edit by hand."]
settings = {
    "DB_NAME": name,
    "DB_USER": database["username"],
    "DB_PASSWORD": database["password"],
    "DB_HOST": host,
    "DB_CHARSET": "utf8mb4",
    "DB_COLLATE": "",
}
settings.update({key: salts[key] for key in sorted(salts)})
lines += [f"define({php(key)}, {php(value)});" for key, value in settings.items()]
lines += [
    "// RDS requires TLS (require_secure_transport=ON); the certificate is verified against",
    "// PHP-FPM's openssl.cafile (the database's CA bundle) and the host name.",
    f"define('MYSQL_CLIENT_FLAGS', {client_flags});",
    "// The viewer's protocol for is_ssl(): CloudFront's CloudFront-Forwarded-Proto when the",
    "// edge is in front (it reaches the load balancer over HTTP), else the load balancer's",
    "// X-Forwarded-Proto.",
    "$viewer_proto = $_SERVER['HTTP_CLOUDFRONT_FORWARDED_PROTO'] ?? $_SERVER['HTTP_X_FORWARDED_PROTO'] ?? '';",
    "if ($viewer_proto === 'https') {",
    "    $_SERVER['HTTPS'] = 'on';",
    "}",
    f"define('FORCE_SSL_ADMIN', {force_ssl_admin});",
    "define('DISALLOW_FILE_EDIT', true);",
    "define('WP_DEBUG', false);",
    "$table_prefix = 'wp_';",
    "if (!defined('ABSPATH')) {",
    "    define('ABSPATH', __DIR__ . '/');",
    "}",
    "require_once ABSPATH . 'wp-settings.php';",
]
with open(path, "w", encoding="utf-8") as config:
    config.write("\n".join(lines) + "\n")
PYTHON
}

check_database() {
  # Connects the way WordPress will (mysqli, the same flags, PHP-FPM's trust) with the
  # credentials of the secret; says why not, never with the password.
  # shellcheck disable=SC2016 # PHP's variables, not the shell's
  DATABASE_JSON="$1" php -d "openssl.cafile=$NODE_DIR/php-trust.pem" -r '
    $problems = [];
    set_error_handler(function ($number, $message) use (&$problems) {
        $problems[] = preg_replace("/\s+/", " ", $message);
        return true;
    });
    mysqli_report(MYSQLI_REPORT_OFF);
    $secret = json_decode(getenv("DATABASE_JSON"), true);
    $link = mysqli_init();
    $flags = '"$MYSQL_CLIENT_FLAGS"';
    if (!mysqli_real_connect($link, $argv[1], $secret["username"], $secret["password"], $argv[3], (int) $argv[2], null, $flags)) {
        $problems[] = mysqli_connect_error();
        fwrite(STDERR, implode("; ", array_unique(array_filter($problems))));
        exit(1);
    }
    $cipher = mysqli_query($link, "SHOW SESSION STATUS LIKE \"Ssl_cipher\"")->fetch_row()[1] ?? "";
    if ($cipher === "") {
        fwrite(STDERR, "connected without TLS");
        exit(1);
    }' -- "$DB_HOST" "$DB_PORT" "$DB_NAME"
}

write_config() {
  # What the timer runs every minute as `wordpress-node config`: wp-config.php from the current
  # secrets, replaced in one rename only once the database accepts them; otherwise nothing
  # changes and the reason is in the log (the journal, or the boot's log).
  local mode="${1:-boot}"
  local config="$WP_ROOT/wp-config.php"
  local database salts candidate problem
  database="$(secret_string "$DB_SECRET_ARN")" ||
    fail "cannot read secret $DB_SECRET_ARN (the database's) from Secrets Manager in $AWS_REGION"
  salts="$(secret_string "$SALTS_SECRET_ARN")" ||
    fail "cannot read secret $SALTS_SECRET_ARN (the salts) from Secrets Manager in $AWS_REGION"
  candidate="$(mktemp "$WP_ROOT/.wp-config.php.XXXXXX")"
  # shellcheck disable=SC2064 # the name is fixed now; removed on every way out
  trap "rm -f '$candidate'" EXIT
  render_wp_config "$database" "$salts" "$candidate"
  # PHP-FPM's pool reads it (its group); nginx and other users may not.
  chgrp "$(id -gn "$PHP_FPM_USER")" "$candidate"
  chmod 0640 "$candidate"
  if ! problem="$(check_database "$database" 2>&1)"; then
    fail "cannot connect to the database $DB_HOST:$DB_PORT over TLS verified against $DB_CA_BUNDLE_URL: $problem; wp-config.php not replaced"
  fi
  if cmp -s "$candidate" "$config"; then
    log "wp-config.php is current"
    return
  fi
  mv -f "$candidate" "$config"
  log "wrote $config from the database secret and the shared salts"
  if [[ "$mode" == refresh ]]; then
    # OPcache keeps compiled PHP files (the old credentials among them) until PHP-FPM reloads.
    systemctl reload "$PHP_FPM_SERVICE"
  fi
}

configure_php_fpm() {
  cat >"$PHP_FPM_POOL_CONF" <<POOL
; Written by the node's boot script: what PHP trusts for TLS, the database's CAs included
; (mysqli verifies RDS's certificate against openssl.cafile).
[www]
php_admin_value[openssl.cafile] = $NODE_DIR/php-trust.pem
POOL
}

configure_nginx() {
  echo ok >"$WP_ROOT$HEALTH_CHECK_PATH"
  mkdir -p "$(dirname "$NGINX_CONF")"
  # This site answers whatever Host arrives (the target's IP from the load balancer's health
  # check, the distribution's or the load balancer's name from CloudFront): default_server, and
  # no site of the distribution's own claiming the port first.
  if [[ -n "$NGINX_STOCK_SITE" ]]; then
    rm -f "$NGINX_STOCK_SITE"
  fi
  cat >"$NGINX_CONF" <<NGINX
server {
    listen 80 default_server;
    server_name _;
    root $WP_ROOT;
    index index.php;
    client_max_body_size 64m;

    location = $HEALTH_CHECK_PATH {
        access_log off;
    }
    location / {
        try_files \$uri \$uri/ /index.php?\$args;
    }
    # Uploaded files are data, never code.
    location ~* ^/wp-content/uploads/.*\.php\$ {
        deny all;
    }
    location ~ /\. {
        deny all;
    }
    location ~ \.php\$ {
        try_files \$uri =404;
        fastcgi_pass unix:$PHP_FPM_SOCKET;
        fastcgi_index index.php;
        include fastcgi_params;
        fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
    }
}
NGINX
}

install_refresh() {
  # The RDS-managed secret rotates (every 7 days by default): a timer re-reads it every minute
  # and rewrites wp-config.php when it changed, with this very script.
  install -m 0700 "$1" "$NODE_COMMAND"
  mkdir -p "$UNIT_DIR"
  cat >"$UNIT_DIR/$REFRESH_UNIT.service" <<UNIT
[Unit]
Description=Rewrite wp-config.php when the database secret changed
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart=$NODE_COMMAND config
UNIT
  cat >"$UNIT_DIR/$REFRESH_UNIT.timer" <<UNIT
[Unit]
Description=Follow the rotation of the database secret every minute

[Timer]
OnBootSec=1min
OnUnitActiveSec=1min
AccuracySec=5s

[Install]
WantedBy=timers.target
UNIT
  systemctl daemon-reload
  systemctl enable --now "$REFRESH_UNIT.timer"
}

boot() {
  local archive
  install_packages
  mount_wp_content
  archive="$(download_wordpress)"
  trust_database_ca
  install_wordpress "$archive"
  write_config
  configure_php_fpm
  configure_nginx
  install_refresh "$0"
  systemctl enable "$PHP_FPM_SERVICE" nginx
  systemctl restart "$PHP_FPM_SERVICE" nginx
  log "ready: WordPress $WORDPRESS_VERSION serves $HEALTH_CHECK_PATH"
}

main() {
  case "${1:-boot}" in
    boot) boot ;;
    config) write_config refresh ;;
    *) fail "usage: $0 [boot|config]" ;;
  esac
}

# Sourced (by a test) it only defines the steps; run (by cloud-init or the timer) it acts.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
