#!/usr/bin/env bash
# Makes screenshots/ from the real binary: runs it in tmux on the demo database (80x24, as over SSH), drives it
# with send-keys, captures with colours, and draws each capture on a cell grid (rich + Pillow).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import rich, PIL' 2>/dev/null || pip install --quiet rich pillow
cargo build --release --quiet
work=$(mktemp -d)
trap 'tmux -L dbc-shots kill-server 2>/dev/null; rm -rf "$work"' EXIT
export DBCONSOLE_CONFIG_DIR=$work/config DBCONSOLE_DATA_DIR=$work/data
tmux -L dbc-shots new-session -d -s s -x 80 -y 24 "TERM=xterm-256color target/release/dbconsole"
tmux -L dbc-shots set -s escape-time 0
wait_for() { for _ in $(seq 1 200); do tmux -L dbc-shots capture-pane -t s -p | grep -q "$1" && return 0; sleep 0.05; done; echo "never saw $1" >&2; return 1; }
shot() { tmux -L dbc-shots capture-pane -t s -p -e > "$work/$1.ans"; python3 scripts/render_capture.py "$work/$1.ans" "screenshots/$1.png" 80 24; echo "screenshots/$1.png"; }
wait_for connected
tmux -L dbc-shots send-keys -t s t; wait_for "Connection test: OK"; shot profiles
tmux -L dbc-shots send-keys -t s a; wait_for "New profile"; tmux -L dbc-shots send-keys -t s -l prod; shot profile-form
tmux -L dbc-shots send-keys -t s Escape; sleep 0.3; tmux -L dbc-shots send-keys -t s 2; wait_for "main (5)"
tmux -L dbc-shots send-keys -t s j j j Enter; wait_for "PK (id)"; shot schema
tmux -L dbc-shots send-keys -t s d; wait_for "CREATE TABLE"; shot schema-ddl
tmux -L dbc-shots send-keys -t s '?'; wait_for "Keys"; shot help
tmux -L dbc-shots send-keys -t s Escape; sleep 0.3; tmux -L dbc-shots send-keys -t s q
