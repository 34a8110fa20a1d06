#!/bin/bash
# Boot script of a WordPress node, rendered by components/web_parts.py (render_user_data).
# Every node is the same: wp-content lives on EFS (mounted with TLS through the access point),
# and the database credentials and the authentication salts are read from Secrets Manager at
# boot with the instance role. This script holds no secret; nothing it prints holds one either.
set -euo pipefail

readonly AWS_REGION='{{region}}'
readonly FILE_SYSTEM_ID='{{file_system_id}}'
readonly ACCESS_POINT_ID='{{access_point_id}}'
readonly DB_SECRET_ARN='{{db_secret_arn}}'
readonly DB_HOST='{{db_host}}'
readonly DB_PORT='{{db_port}}'
readonly DB_NAME='{{db_name}}'
readonly SALTS_SECRET_ARN='{{salts_secret_arn}}'
readonly WORDPRESS_VERSION='{{wordpress_version}}'
readonly WORDPRESS_SHA1='{{wordpress_sha1}}'
readonly FORCE_SSL_ADMIN='{{force_ssl_admin}}'
readonly HEALTH_CHECK_PATH='{{health_check_path}}'

# Real paths by default; a test moves them into a temporary root.
WP_ROOT="${WP_ROOT:-/var/www/wordpress}"
FSTAB="${FSTAB:-/etc/fstab}"
NGINX_CONF="${NGINX_CONF:-/etc/nginx/conf.d/wordpress.conf}"
DOWNLOAD_DIR="${DOWNLOAD_DIR:-/var/tmp/wordpress-download}"

log() { echo "wordpress-node: $*"; }
fail() {
  echo "wordpress-node: ERROR: $*" >&2
  exit 1
}

install_packages() {
  log "installing nginx, PHP-FPM, the PHP MySQL extension and amazon-efs-utils"
  dnf install -y nginx php-fpm php-mysqlnd php-gd php-mbstring php-xml php-intl amazon-efs-utils
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

download_wordpress() {
  local archive="$DOWNLOAD_DIR/wordpress-$WORDPRESS_VERSION.tar.gz"
  local actual
  mkdir -p "$DOWNLOAD_DIR"
  curl --fail --silent --show-error --location --proto '=https' --tlsv1.2 \
    --output "$archive" "https://wordpress.org/wordpress-$WORDPRESS_VERSION.tar.gz"
  actual="$(sha1sum "$archive" | cut -d ' ' -f 1)"
  if [[ "$actual" != "$WORDPRESS_SHA1" ]]; then
    rm -f "$archive"
    fail "checksum mismatch for wordpress-$WORDPRESS_VERSION.tar.gz: expected sha1 $WORDPRESS_SHA1, got $actual; WordPress not installed"
  fi
  echo "$archive"
}

install_wordpress() {
  local archive="$1"
  log "installing WordPress $WORDPRESS_VERSION (sha1 verified)"
  tar -xzf "$archive" -C "$WP_ROOT" --strip-components=1 --exclude='wordpress/wp-content'
  # The shared wp-content keeps what is there; the first node seeds the bundled themes.
  tar -xzf "$archive" -C "$WP_ROOT" --strip-components=1 --skip-old-files 'wordpress/wp-content'
}

secret_string() {
  aws secretsmanager get-secret-value --region "$AWS_REGION" --secret-id "$1" \
    --query SecretString --output text
}

write_wp_config() {
  local database salts
  database="$(secret_string "$DB_SECRET_ARN")"
  salts="$(secret_string "$SALTS_SECRET_ARN")"
  log "writing $WP_ROOT/wp-config.php from the database secret and the shared salts"
  (
    umask 027
    DATABASE_JSON="$database" SALTS_JSON="$salts" python3 - "$WP_ROOT/wp-config.php" \
      "$DB_NAME" "$DB_HOST:$DB_PORT" "$FORCE_SSL_ADMIN" <<'PYTHON'
import json
import os
import sys

path, name, host, force_ssl_admin = sys.argv[1:]
database = json.loads(os.environ["DATABASE_JSON"])
salts = json.loads(os.environ["SALTS_JSON"])


def php(value):
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


lines = ["<?php", "// Written at boot by the node's user data; never edit by hand."]
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
    "// RDS requires TLS (require_secure_transport=ON).",
    "define('MYSQL_CLIENT_FLAGS', MYSQLI_CLIENT_SSL);",
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
  )
}

configure_nginx() {
  echo ok >"$WP_ROOT$HEALTH_CHECK_PATH"
  mkdir -p "$(dirname "$NGINX_CONF")"
  cat >"$NGINX_CONF" <<NGINX
server {
    listen 80;
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
        fastcgi_pass unix:/run/php-fpm/www.sock;
        fastcgi_index index.php;
        include fastcgi_params;
        fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
    }
}
NGINX
}

main() {
  local archive
  install_packages
  mount_wp_content
  archive="$(download_wordpress)"
  install_wordpress "$archive"
  write_wp_config
  configure_nginx
  systemctl enable --now php-fpm nginx
  log "ready: WordPress $WORDPRESS_VERSION serves $HEALTH_CHECK_PATH"
}

main "$@"
