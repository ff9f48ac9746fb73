#!/usr/bin/env bash
# Makes sure the real services the tests talk to answer on this machine:
# Redis on 127.0.0.1:6379, PostgreSQL on 127.0.0.1:5432 and MariaDB (or
# MySQL) on 127.0.0.1:3306, and that the MySQL client library the `mysql`
# feature links is installed. A server that is
# installed but stopped is started; one that is missing is installed from
# Debian's packages when we are root with apt-get. Anything else is reported,
# and the suites then skip locally or fail in CI.
set -uo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # port, name
  for _ in $(seq 1 50); do port_open "$1" && return 0; sleep 0.2; done
  echo "services: $2 did not come up on 127.0.0.1:$1" >&2
  return 1
}

can_install() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }

apt_install() {
  can_install || return 1
  [ -n "${APT_UPDATED:-}" ] || { apt-get update -qq >/dev/null && APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_redis() {
  port_open 6379 && return 0
  command -v redis-server >/dev/null || apt_install redis-server || { echo "services: no redis-server and cannot install it" >&2; return 1; }
  mkdir -p /tmp/cache-redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /tmp/cache-redis --logfile /tmp/cache-redis/redis.log
  wait_for 6379 Redis
}

ensure_postgres() {
  port_open 5432 && { ensure_postgres_replication && ensure_postgres_logical; return; }
  if ! command -v pg_ctlcluster >/dev/null; then
    apt_install postgresql || { echo "services: no PostgreSQL and cannot install it" >&2; return 1; }
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  local hba="/etc/postgresql/$version/main/pg_hba.conf"
  if [ -w "$hba" ] && ! grep -q "cache-tests trust" "$hba"; then
    # Tests connect as postgres over TCP without a password (the default
    # DATABASE_URL, postgres://postgres@127.0.0.1:5432/test: README, "Run it").
    sed -i '1i host all all 127.0.0.1/32 trust # cache-tests trust\nhost all all ::1/128 trust # cache-tests trust' "$hba"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
  wait_for 5432 PostgreSQL || return 1
  psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null
  ensure_postgres_replication && ensure_postgres_logical
}

# The change-stream follower (`Follower`) reads a logical replication slot:
# `wal_level = logical`, and slots enough for the tests that run at once.
# Both need a restart, done once (the setting is kept by ALTER SYSTEM).
ensure_postgres_logical() {
  local level slots
  level=$(psql -h 127.0.0.1 -U postgres -tAc "SHOW wal_level") || return 1
  slots=$(psql -h 127.0.0.1 -U postgres -tAc "SHOW max_replication_slots") || return 1
  [ "$level" = logical ] && [ "$slots" -ge 64 ] && return 0
  psql -h 127.0.0.1 -U postgres -tAc "ALTER SYSTEM SET wal_level = logical" >/dev/null || return 1
  psql -h 127.0.0.1 -U postgres -tAc "ALTER SYSTEM SET max_replication_slots = 64" >/dev/null || return 1
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$version" ]; then
    pg_ctlcluster --skip-systemctl-redirect "$version" main restart || return 1
  else
    echo "services: set wal_level = logical; restart PostgreSQL for it to apply" >&2
    return 1
  fi
  wait_for 5432 PostgreSQL || return 1
  [ "$(psql -h 127.0.0.1 -U postgres -tAc "SHOW wal_level")" = logical ] \
    || { echo "services: PostgreSQL's wal_level is not logical (the follower's tests will fail)" >&2; return 1; }
}

# The read-replica tests start a streaming replica of this server
# (pg_basebackup over a replication connection, as postgres, without a
# password): allow it, whether or not this script started the server.
ensure_postgres_replication() {
  psql "host=127.0.0.1 user=postgres replication=true" -tAc "IDENTIFY_SYSTEM" >/dev/null 2>&1 && return 0
  local hba
  hba=$(psql -h 127.0.0.1 -U postgres -tAc "SHOW hba_file") || return 1
  if [ -w "$hba" ] && ! grep -q "cache-tests replication" "$hba"; then
    sed -i '1i host replication all 127.0.0.1/32 trust # cache-tests replication' "$hba"
  fi
  psql -h 127.0.0.1 -U postgres -tAc "SELECT pg_reload_conf()" >/dev/null
  psql "host=127.0.0.1 user=postgres replication=true" -tAc "IDENTIFY_SYSTEM" >/dev/null 2>&1 \
    || { echo "services: PostgreSQL refuses replication connections (read-replica tests will fail)" >&2; return 1; }
}

ensure_mysql() {
  if ! port_open 3306; then
    command -v mariadbd >/dev/null || command -v mysqld >/dev/null \
      || apt_install mariadb-server || { echo "services: no MariaDB/MySQL server and cannot install it" >&2; return 1; }
    start_mysql || return 1
  fi
  ensure_mysql_binlog
}

start_mysql() {
  local daemon
  daemon=$(command -v mariadbd || command -v mysqld)
  if command -v start-stop-daemon >/dev/null; then
    start-stop-daemon --start --oknodo --background --exec "$daemon"
  else
    "$daemon" --user=root >/tmp/cache-mysqld.log 2>&1 &
  fi
  wait_for 3306 MariaDB
}

# The change-stream follower (`Follower::mysql`) reads the row-based binary
# log with full row images and the columns' names in it. `log_bin` takes a
# restart, done once: the settings go in the server's option file. Binary
# logs older than a day are purged by the server (the follower never holds
# them back: past a purge it invalidates what it follows and goes on).
ensure_mysql_binlog() {
  local now
  now=$(mariadb -h 127.0.0.1 -uroot -N -e "SELECT CONCAT(IF(@@log_bin, 'ON', 'OFF'), @@binlog_format, @@binlog_row_image, @@binlog_row_metadata)" 2>/dev/null) || return 1
  [ "$now" = ONROWFULLFULL ] && return 0
  local cnf=/etc/mysql/my.cnf
  if [ -w "$cnf" ] && ! grep -q "cache-tests binlog" "$cnf"; then
    cat >>"$cnf" <<'CNF'
# cache-tests binlog: the change-stream follower's tests
[mariadbd]
log_bin = cache-binlog
binlog_format = ROW
binlog_row_image = FULL
binlog_row_metadata = FULL
server_id = 1
binlog_expire_logs_seconds = 86400
CNF
  fi
  mariadb-admin -h 127.0.0.1 -uroot shutdown 2>/dev/null || true
  # (The port closes before the server has exited.)
  for _ in $(seq 1 150); do pgrep -x mariadbd >/dev/null || pgrep -x mysqld >/dev/null || break; sleep 0.2; done
  start_mysql || return 1
  now=$(mariadb -h 127.0.0.1 -uroot -N -e "SELECT CONCAT(IF(@@log_bin, 'ON', 'OFF'), @@binlog_format, @@binlog_row_image, @@binlog_row_metadata)")
  [ "$now" = ONROWFULLFULL ] \
    || { echo "services: MariaDB's binary log is not row-based with full images and metadata (the follower's tests will fail)" >&2; return 1; }
}

status=0
# The `mysql` feature links the MySQL client library, found by pkg-config
# as `mysqlclient` (MariaDB's Connector/C provides it on Debian).
if ! pkg-config --exists mysqlclient 2>/dev/null; then
  apt_install libmariadb-dev libmariadb-dev-compat pkg-config \
    || echo "services: no MySQL client library (libmariadb-dev): the mysql feature will not build" >&2
fi
# The TLS suite starts its own redis-server with certificates from openssl.
command -v openssl >/dev/null || apt_install openssl || echo "services: no openssl (the TLS suite will skip)" >&2
# The `postgres` feature builds libpq with OpenSSL: its headers and pkg-config.
if ! pkg-config --exists openssl 2>/dev/null; then
  apt_install libssl-dev pkg-config || echo "services: no OpenSSL headers (libssl-dev): the postgres feature will not build" >&2
fi
ensure_redis || status=1
ensure_postgres || status=1
ensure_mysql || status=1
exit $status
