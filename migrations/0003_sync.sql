-- Live sync: links between two profiles, their tables' state, conflicts (every one, with how it was resolved),
-- events (resolutions, pauses, errors) and throughput/lag samples for the pane's sparklines.
CREATE TABLE sync_link (
    name          TEXT PRIMARY KEY,
    source        TEXT    NOT NULL,
    target        TEXT    NOT NULL,
    tables        TEXT    NOT NULL,
    two_way       INTEGER NOT NULL,
    policy        TEXT    NOT NULL,
    native        INTEGER NOT NULL DEFAULT 0,
    state         TEXT    NOT NULL DEFAULT 'creating',
    plan_fwd      TEXT    NOT NULL,
    plan_back     TEXT,
    created_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    applied_fwd   INTEGER NOT NULL DEFAULT 0,
    applied_back  INTEGER NOT NULL DEFAULT 0,
    last_apply_at TEXT,
    last_error    TEXT,
    last_error_at TEXT,
    next_retry_at TEXT,
    runner        TEXT
);
CREATE TABLE sync_table (
    link     TEXT NOT NULL,
    tbl      TEXT NOT NULL,
    paused   INTEGER NOT NULL DEFAULT 0,
    error    TEXT,
    error_at TEXT,
    applied  INTEGER NOT NULL DEFAULT 0,
    last_apply_at TEXT,
    -- The change the table stopped at (a value the target refused), and one the user chose to skip.
    failed_seq INTEGER,
    skip_seq INTEGER,
    PRIMARY KEY (link, tbl)
);
CREATE TABLE sync_conflict (
    id          INTEGER PRIMARY KEY,
    link        TEXT NOT NULL,
    tbl         TEXT NOT NULL,
    key         TEXT NOT NULL,
    source_row  TEXT,
    target_row  TEXT,
    base_row    TEXT,
    source_at   INTEGER,
    target_at   INTEGER,
    policy      TEXT NOT NULL,
    detected_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    resolved_at TEXT,
    taken       TEXT
);
CREATE INDEX sync_conflict_open ON sync_conflict (link, resolved_at, tbl, key);
CREATE TABLE sync_event (
    id     INTEGER PRIMARY KEY,
    link   TEXT NOT NULL,
    at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    kind   TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TABLE sync_sample (
    link    TEXT    NOT NULL,
    at_ms   INTEGER NOT NULL,
    applied INTEGER NOT NULL,
    lag_ms  INTEGER NOT NULL,
    PRIMARY KEY (link, at_ms)
);
