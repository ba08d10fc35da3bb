# shellcheck shell=bash
# Starts real PostgreSQL and MariaDB servers on 127.0.0.1 for tests and benchmarks. Source it, then call
# servers_start; the servers stop when the sourcing shell exits (trap on EXIT).
# Exports DBC_TEST_* variables that the tests read.
# DBC_DURABLE=1 (scripts/bench.sh sets it) starts them as users run them: PostgreSQL with fsync, synchronous_commit
# and full_page_writes on, MariaDB flushing its log at every commit with the doublewrite buffer; the tests run
# without, for speed.

DBC_PG_PORT=${DBC_PG_PORT:-55432}
DBC_MY_PORT=${DBC_MY_PORT:-33306}
DBC_PGB_PORT=${DBC_PGB_PORT:-56432}

_need_root_or_sudo() { if [ "$(id -u)" -ne 0 ]; then echo "sudo"; fi; }

_apt_install() {
  local SUDO; SUDO=$(_need_root_or_sudo)
  if [ -z "${_DBC_APT_UPDATED:-}" ]; then
    $SUDO apt-get -o DPkg::Lock::Timeout=120 update -qq >/dev/null
    _DBC_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=120 install -y -qq "$@" >/dev/null
}

_install_missing() {
  local pkgs=()
  PG_BIN=""
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && PG_BIN=$d; done
  [ -n "$PG_BIN" ] || pkgs+=(postgresql)
  command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || pkgs+=(mariadb-server mariadb-client)
  command -v tmux >/dev/null 2>&1 || pkgs+=(tmux)
  command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || pkgs+=(pgbouncer)
  command -v openssl >/dev/null 2>&1 || pkgs+=(openssl)
  command -v psql >/dev/null 2>&1 || pkgs+=(postgresql-client)
  [ -x /usr/sbin/sshd ] || pkgs+=(openssh-server)
  command -v sqlite3 >/dev/null 2>&1 || pkgs+=(sqlite3)
  command -v ssh-keygen >/dev/null 2>&1 && command -v ssh-agent >/dev/null 2>&1 || pkgs+=(openssh-client)
  if [ ${#pkgs[@]} -gt 0 ]; then
    echo "servers.sh: installing ${pkgs[*]}" >&2
    _apt_install "${pkgs[@]}"
  fi
  if [ -z "$PG_BIN" ]; then for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && PG_BIN=$d; done; fi
  [ -n "$PG_BIN" ] || { echo "servers.sh: no PostgreSQL binaries after install" >&2; return 1; }
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  id mysql >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin mysql
}

# The duckdb shell (DuckDB files are a source; its C++ library is not built into dbconsole). From PyPI's duckdb-cli
# when missing; DBC_TEST_DUCKDB is the binary itself (pip's `duckdb` on PATH is a Python launcher, 0.1 s a start).
_install_duckdb() {
  local py bin
  py=$(command -v python3 || true)
  if [ -z "$py" ]; then _apt_install python3 python3-pip; py=$(command -v python3); fi
  bin=$("$py" -c 'import duckdb_cli, os; print(os.path.join(os.path.dirname(duckdb_cli.__file__), "duckdb"))' 2>/dev/null || true)
  if [ ! -x "$bin" ]; then
    echo "servers.sh: installing duckdb-cli from PyPI" >&2
    "$py" -m pip --version >/dev/null 2>&1 || _apt_install python3-pip
    "$py" -m pip install -q duckdb-cli 2>/dev/null || "$py" -m pip install -q --break-system-packages duckdb-cli
    bin=$("$py" -c 'import duckdb_cli, os; print(os.path.join(os.path.dirname(duckdb_cli.__file__), "duckdb"))')
  fi
  [ -x "$bin" ] || { echo "servers.sh: no duckdb shell after installing duckdb-cli" >&2; return 1; }
  export DBC_TEST_DUCKDB=$bin
}

_as() { local u=$1; shift; if [ "$(id -u)" -eq 0 ]; then runuser -u "$u" -- "$@"; else "$@"; fi; }

_make_certs() {
  local d=$1
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=dbconsole test CA" \
    -keyout "$d/ca.key" -out "$d/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' > "$d/ext.cnf"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 30 \
    -extfile "$d/ext.cnf" -out "$d/server.crt" 2>/dev/null
  # A second, unrelated CA: a client that trusts it must refuse the server's certificate.
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=other CA" \
    -keyout "$d/other-ca.key" -out "$d/other-ca.crt" -addext "basicConstraints=critical,CA:TRUE" 2>/dev/null
  chmod 644 "$d"/*.crt
}

_start_pg() {
  local d=$DBC_TEST_DIR/pg
  mkdir -p "$d"; chown postgres "$d" 2>/dev/null || true; chmod 700 "$d"
  _as postgres "$PG_BIN/initdb" -D "$d/data" -U postgres -E UTF8 --no-sync --auth-local=trust --auth-host=scram-sha-256 >"$DBC_TEST_DIR/pg-initdb.log" 2>&1
  cp "$DBC_TEST_DIR/certs/server.crt" "$DBC_TEST_DIR/certs/server.key" "$d/data/"
  chown postgres "$d/data/server.crt" "$d/data/server.key" 2>/dev/null || true
  chmod 600 "$d/data/server.key"
  cat > "$d/data/pg_hba.conf" <<HBA
local all all trust
hostnossl all dbc_tls_only 127.0.0.1/32 reject
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
HBA
  mkdir -p "$d/sock"; chown postgres "$d/sock" 2>/dev/null || true
  local speed="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [ "${DBC_DURABLE:-}" = 1 ] && speed=""
  _as postgres "$PG_BIN/pg_ctl" -D "$d/data" -l "$d/pg.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $DBC_PG_PORT -k $d/sock $speed -c ssl=on -c max_connections=200 -c wal_level=logical" start >/dev/null
  DBC_PG_STARTED=$d/data
  _as postgres psql -h "$d/sock" -p "$DBC_PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -q <<SQL
CREATE ROLE dbc LOGIN SUPERUSER PASSWORD 'dbc-pg-secret-4417';
CREATE DATABASE dbc OWNER dbc;
CREATE ROLE dbc_tls_only LOGIN PASSWORD 'dbc-tls-secret-9931';
CREATE ROLE dbc_limited LOGIN PASSWORD 'dbc-limited-secret-2208';
CREATE ROLE dbc_pool LOGIN PASSWORD 'dbc-pool-secret-6650';
CREATE DATABASE dbc_restricted;
REVOKE CONNECT ON DATABASE dbc_restricted FROM PUBLIC;
SQL
}

_start_my() {
  local d=$DBC_TEST_DIR/my
  mkdir -p "$d"; chown mysql "$d" 2>/dev/null || true
  local inst; inst=$(command -v mariadb-install-db || echo /usr/bin/mariadb-install-db)
  local srv; srv=$(command -v mariadbd || echo /usr/sbin/mariadbd)
  "$inst" --no-defaults --user=mysql --datadir="$d/data" --auth-root-authentication-method=socket \
    --skip-test-db >"$DBC_TEST_DIR/my-install.log" 2>&1
  local speed=(--innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0)
  [ "${DBC_DURABLE:-}" = 1 ] && speed=(--innodb-flush-log-at-trx-commit=1 --innodb-doublewrite=1)
  "$srv" --no-defaults --user=mysql --datadir="$d/data" --socket="$d/my.sock" --pid-file="$d/my.pid" \
    --bind-address=127.0.0.1 --port="$DBC_MY_PORT" --skip-name-resolve "${speed[@]}" \
    --log-error="$DBC_TEST_DIR/my.log" >/dev/null 2>&1 &
  DBC_MY_PID=$!
  local i
  for i in $(seq 1 120); do
    mariadb-admin --no-defaults --socket="$d/my.sock" -uroot ping >/dev/null 2>&1 && break
    kill -0 "$DBC_MY_PID" 2>/dev/null || { echo "servers.sh: mariadbd exited; see $DBC_TEST_DIR/my.log" >&2; cat "$DBC_TEST_DIR/my.log" >&2; return 1; }
    sleep 0.25
  done
  mariadb --no-defaults --socket="$d/my.sock" -uroot <<SQL
CREATE USER 'dbc'@'%' IDENTIFIED BY 'dbc-my-secret-7731';
GRANT ALL PRIVILEGES ON *.* TO 'dbc'@'%' WITH GRANT OPTION;
CREATE DATABASE dbc;
CREATE USER 'dbc_limited'@'%' IDENTIFIED BY 'dbc-mylimited-secret-5120';
SQL
}

# PgBouncer in transaction mode in front of the test PostgreSQL (the pooled URL of a Prisma/Supabase setup).
_start_pgbouncer() {
  local d=$DBC_TEST_DIR/pgb
  local bin; bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
  mkdir -p "$d"; chown postgres "$d" 2>/dev/null || true
  printf '"dbc_pool" "dbc-pool-secret-6650"\n"dbc" "dbc-pg-secret-4417"\n' > "$d/userlist.txt"
  cat > "$d/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$DBC_PG_PORT
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $DBC_PGB_PORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $d/userlist.txt
pool_mode = transaction
max_client_conn = 200
default_pool_size = 10
ignore_startup_parameters = extra_float_digits,options,search_path
logfile = $d/pgbouncer.log
pidfile = $d/pgbouncer.pid
INI
  chown postgres "$d"/* 2>/dev/null || true
  chmod 600 "$d/userlist.txt"
  _as postgres "$bin" -d "$d/pgbouncer.ini" >/dev/null 2>&1 || { echo "servers.sh: pgbouncer did not start" >&2; cat "$d/pgbouncer.log" >&2; return 1; }
  local i
  for i in $(seq 1 40); do
    [ -s "$d/pgbouncer.pid" ] && (echo > /dev/tcp/127.0.0.1/"$DBC_PGB_PORT") 2>/dev/null && break
    sleep 0.25
  done
  DBC_PGB_PID=$(cat "$d/pgbouncer.pid" 2>/dev/null)
}

# SSH tunnel tests (tests/it/ssh.rs) start their own sshd instances on 127.0.0.1 with temporary host keys; they
# need sshd's privilege-separation directory and a local account to log in as, with a password for the
# password-authentication test. The account has no shell (nologin): it can only forward.
_prepare_sshd() {
  mkdir -p /run/sshd && chmod 755 /run/sshd
  if ! id dbcssh >/dev/null 2>&1; then
    useradd --create-home --shell /usr/sbin/nologin dbcssh
  fi
  echo 'dbcssh:dbc-ssh-secret-3391' | chpasswd
  export DBC_TEST_SSHD=/usr/sbin/sshd DBC_TEST_SSH_USER=dbcssh DBC_TEST_SSH_PASSWORD='dbc-ssh-secret-3391'
}

servers_stop() {
  set +e
  if [ -n "${DBC_PGB_PID:-}" ]; then kill "$DBC_PGB_PID" 2>/dev/null; fi
  if [ -n "${DBC_PG_STARTED:-}" ]; then _as postgres "$PG_BIN/pg_ctl" -D "$DBC_PG_STARTED" -m immediate stop >/dev/null 2>&1; fi
  if [ -n "${DBC_MY_PID:-}" ]; then kill "$DBC_MY_PID" 2>/dev/null; wait "$DBC_MY_PID" 2>/dev/null; fi
  [ -n "${DBC_TEST_DIR:-}" ] && rm -rf "$DBC_TEST_DIR"
}

servers_start() {
  _install_missing
  _install_duckdb
  DBC_TEST_DIR=$(mktemp -d /tmp/dbconsole-servers.XXXXXX)
  chmod 755 "$DBC_TEST_DIR"
  trap servers_stop EXIT
  mkdir -p "$DBC_TEST_DIR/certs"
  _make_certs "$DBC_TEST_DIR/certs"
  _start_pg
  _start_pgbouncer
  _start_my
  if [ "$(id -u)" -eq 0 ]; then _prepare_sshd; fi
  export DBC_TEST_PG_PORT=$DBC_PG_PORT DBC_TEST_MY_PORT=$DBC_MY_PORT
  export DBC_TEST_PG_PASSWORD='dbc-pg-secret-4417' DBC_TEST_MY_PASSWORD='dbc-my-secret-7731'
  export DBC_TEST_PG_TLS_PASSWORD='dbc-tls-secret-9931' DBC_TEST_PG_LIMITED_PASSWORD='dbc-limited-secret-2208'
  export DBC_TEST_MY_LIMITED_PASSWORD='dbc-mylimited-secret-5120'
  export DBC_TEST_PGB_PORT=$DBC_PGB_PORT DBC_TEST_PGB_PASSWORD='dbc-pool-secret-6650'
  export DBC_TEST_CA="$DBC_TEST_DIR/certs/ca.crt" DBC_TEST_OTHER_CA="$DBC_TEST_DIR/certs/other-ca.crt"
  [ "${DBC_DURABLE:-}" = 1 ] && echo "servers.sh: durable settings (fsync and synchronous_commit on; InnoDB flush at commit)" >&2
  echo "servers.sh: PostgreSQL on 127.0.0.1:$DBC_PG_PORT (TLS on), PgBouncer (transaction mode) on 127.0.0.1:$DBC_PGB_PORT, MariaDB on 127.0.0.1:$DBC_MY_PORT" >&2
}
