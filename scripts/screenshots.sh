#!/usr/bin/env bash
# Makes screenshots/ from the real binary: runs it in tmux on the demo database (80x24, as over SSH), drives it
# with send-keys, captures with colours, and draws each capture on a cell grid (rich + Pillow).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import rich, PIL' 2>/dev/null || pip install --quiet rich pillow
cargo build --release --quiet
work=$(mktemp -d)
trap 'tmux -L dbc-shots kill-server 2>/dev/null; rm -rf "$work"' EXIT
# A home of its own: config and data where a user's are (~/.config/dbconsole, ~/.local/share/dbconsole), and the
# screen shows them as ~/… — no temporary path in a picture.
mkdir -p "$work/home"
export HOME=$work/home
unset DBCONSOLE_CONFIG_DIR DBCONSOLE_DATA_DIR XDG_CONFIG_HOME XDG_DATA_HOME XDG_STATE_HOME DBCONSOLE_THEME
# A migrations folder beside the demo database, for the migrations pane (the demo profile uses ./migrations).
mkdir -p "$work/migrations"
printf 'CREATE TABLE reviews (\n  id INTEGER PRIMARY KEY,\n  product_id INTEGER NOT NULL REFERENCES products(id),\n  stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),\n  body TEXT\n);\n' > "$work/migrations/1_create_reviews.sql"
printf 'CREATE INDEX reviews_product ON reviews (product_id);\n' > "$work/migrations/2_index_reviews.up.sql"
printf 'DROP INDEX reviews_product;\n' > "$work/migrations/2_index_reviews.down.sql"
printf 'ALTER TABLE customers ADD COLUMN phone TEXT NOT NULL;\n' > "$work/migrations/3_customer_phone.sql"
bin=$(pwd)/target/release/dbconsole
tmux -L dbc-shots new-session -d -s s -x 80 -y 24 -c "$work" "TERM=xterm-256color $bin"
tmux -L dbc-shots set -s escape-time 0
wait_for() { for _ in $(seq 1 200); do tmux -L dbc-shots capture-pane -t s -p | grep -q "$1" && return 0; sleep 0.05; done; echo "never saw $1" >&2; return 1; }
shot() { tmux -L dbc-shots capture-pane -t s -p -e > "$work/$1.ans"; python3 scripts/render_capture.py "$work/$1.ans" "screenshots/$1.png" "${W:-80}" "${H:-24}" "${2:-dark}"; echo "screenshots/$1.png"; }
wait_for connected
tmux -L dbc-shots send-keys -t s t; wait_for "Connection test: OK"; shot profiles
tmux -L dbc-shots send-keys -t s a; wait_for "New profile"; tmux -L dbc-shots send-keys -t s -l prod; shot profile-form
tmux -L dbc-shots send-keys -t s Escape; sleep 0.3; tmux -L dbc-shots send-keys -t s 2; wait_for "main (5)"
tmux -L dbc-shots send-keys -t s j j j l; wait_for "PK (id)"; shot schema
tmux -L dbc-shots send-keys -t s d; wait_for "CREATE TABLE"; shot schema-ddl
tmux -L dbc-shots send-keys -t s '?'; wait_for "Keys"; shot help
tmux -L dbc-shots send-keys -t s Escape; sleep 0.3; tmux -L dbc-shots send-keys -t s 3; wait_for "3 pending"
tmux -L dbc-shots send-keys -t s j j; wait_for "DANGER line 1"; shot migrations
tmux -L dbc-shots send-keys -t s 5; wait_for "Type SQL above"
tmux -L dbc-shots send-keys -t s -l "select c.name, c.country, count(o.id) as orders, max(o.ordered_at) as last_order"
tmux -L dbc-shots send-keys -t s Enter; tmux -L dbc-shots send-keys -t s -l "from customers c left join orders o on o.customer_id = c.id"
tmux -L dbc-shots send-keys -t s Enter; tmux -L dbc-shots send-keys -t s -l "group by c.id order by orders desc, c.name"
tmux -L dbc-shots send-keys -t s F5; wait_for "SELECT ·"; tmux -L dbc-shots send-keys -t s Escape; sleep 0.3; shot query
# The table browser: customers by key, filtered.
tmux -L dbc-shots send-keys -t s 2; sleep 0.3; tmux -L dbc-shots send-keys -t s /; tmux -L dbc-shots send-keys -t s -l customers
tmux -L dbc-shots send-keys -t s Enter; sleep 0.2; tmux -L dbc-shots send-keys -t s b; wait_for "customers · page 1"
tmux -L dbc-shots send-keys -t s f; wait_for "filter rows where"; tmux -L dbc-shots send-keys -t s -l "country = 'NL'"
tmux -L dbc-shots send-keys -t s Enter; wait_for "100 rows"; sleep 0.3; shot browse
# The sync pane: a two-way link from the demo database to a copy, with a manual conflict and a minute of samples.
touch "$work/replica.db"
"$bin" profile add replica --engine sqlite --path "$work/replica.db" >/dev/null
"$bin" sync add demo-replica --from demo --to replica --two-way --policy manual --yes >/dev/null 2>&1
"$bin" query demo -e "UPDATE customers SET name = 'Ada Lovelace' WHERE id = 1" >/dev/null
"$bin" query replica -e "UPDATE customers SET name = 'Ada King' WHERE id = 1" >/dev/null
"$bin" sync run demo-replica >/dev/null 2>&1 &
runner=$!
for i in $(seq 1 20); do
  "$bin" query demo -e "UPDATE products SET name = name WHERE id <= $(((i % 7 + 1) * 6))" >/dev/null
  "$bin" query replica -e "UPDATE orders SET status = status WHERE id <= $(((i % 5 + 1) * 20))" >/dev/null
  sleep 0.6
done
kill -TERM "$runner"; wait "$runner" || true
# The TUI reads the profiles file again (r in the profiles pane) to know the copy's profile.
tmux -L dbc-shots send-keys -t s 1; sleep 0.3; tmux -L dbc-shots send-keys -t s r; wait_for replica
tmux -L dbc-shots send-keys -t s 4; wait_for "demo-replica"; sleep 2.5; shot sync
tmux -L dbc-shots send-keys -t s c; wait_for "Conflicts of demo-replica"; shot sync-conflicts
tmux -L dbc-shots send-keys -t s Escape; sleep 0.3
tmux -L dbc-shots send-keys -t s q
sleep 0.5
# The same tour's first panes in the light theme (a light terminal), and the palette.
tmux -L dbc-shots kill-server 2>/dev/null || true
tmux -L dbc-shots new-session -d -s s -x 80 -y 24 -c "$work" "TERM=xterm-256color DBCONSOLE_THEME=light $bin"
tmux -L dbc-shots set -s escape-time 0
wait_for connected
tmux -L dbc-shots send-keys -t s t; wait_for "Connection test: OK"; shot profiles-light light
# (The sync link above added its own tables to the demo database: customers is still the first.)
tmux -L dbc-shots send-keys -t s 2; wait_for "customers"
tmux -L dbc-shots send-keys -t s j l; wait_for "PK (id)"; shot schema-light light
tmux -L dbc-shots send-keys -t s :; wait_for "Palette"; tmux -L dbc-shots send-keys -t s -l "or"; sleep 0.3; shot palette-light light
tmux -L dbc-shots send-keys -t s Escape; sleep 0.3
tmux -L dbc-shots send-keys -t s q
sleep 0.5
tmux -L dbc-shots kill-server 2>/dev/null || true
# A wide terminal: the schema pane beside the query pane, the editor in vim mode (settings.toml), a result in.
mkdir -p "$HOME/.config/dbconsole"
printf 'vim = true\n' > "$HOME/.config/dbconsole/settings.toml"
tmux -L dbc-shots new-session -d -s s -x 160 -y 44 -c "$work" "TERM=xterm-256color $bin"
tmux -L dbc-shots set -s escape-time 0
wait_for connected
tmux -L dbc-shots send-keys -t s 2; wait_for "customers"
tmux -L dbc-shots send-keys -t s j j l; wait_for "PK (id)"
tmux -L dbc-shots send-keys -t s 5; wait_for NORMAL
# The editor keeps the first session's tab: vim's ggdG empties it.
tmux -L dbc-shots send-keys -t s -l "ggdG"; sleep 0.3
tmux -L dbc-shots send-keys -t s -l "i"; wait_for INSERT
tmux -L dbc-shots send-keys -t s -l "select o.id, c.name, o.status, o.ordered_at"
tmux -L dbc-shots send-keys -t s Enter; tmux -L dbc-shots send-keys -t s -l "  from orders o join customers c on c.id = o.customer_id"
tmux -L dbc-shots send-keys -t s Enter; tmux -L dbc-shots send-keys -t s -l " order by o.ordered_at desc"
tmux -L dbc-shots send-keys -t s Escape; wait_for NORMAL
tmux -L dbc-shots send-keys -t s F5; wait_for "SELECT ·"; sleep 0.3; W=160 H=44 shot wide-vim
tmux -L dbc-shots send-keys -t s q
rm -f "$HOME/.config/dbconsole/settings.toml"
