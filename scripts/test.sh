#!/usr/bin/env bash
# Runs the whole dbconsole test suite on a fresh machine.
#
# Installs what is missing (MariaDB server through apt-get; PostgreSQL from the machine's binaries or apt-get; tmux),
# starts PostgreSQL (with TLS and password authentication) and MariaDB on 127.0.0.1 on non-default ports in a
# temporary directory, runs every test, and stops the servers whatever happens.
#
#   scripts/test.sh                 # everything
#   scripts/test.sh profile_        # extra arguments go to `cargo test` (a name filter, say)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/servers.sh
source scripts/servers.sh
servers_start
cargo test --locked "$@"
