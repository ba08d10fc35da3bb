-- dbconsole's own state store (SQLite, in the data directory): executed statements, per profile.
CREATE TABLE query_history (
    id          INTEGER PRIMARY KEY,
    profile     TEXT    NOT NULL,
    sql         TEXT    NOT NULL,
    executed_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    elapsed_ms  REAL    NOT NULL,
    rows        INTEGER,
    ok          INTEGER NOT NULL,
    error       TEXT
);
CREATE INDEX query_history_profile ON query_history (profile, id DESC);
