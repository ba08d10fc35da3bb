-- Transfer checkpoints: per run (a hash of the plan) and table, the rows committed on the target and the source
-- key they end at; a batch being written is recorded as pending first, so a run killed at any moment can tell,
-- on resume, whether that batch landed.
CREATE TABLE transfer_checkpoint (
    run          TEXT    NOT NULL,
    table_name   TEXT    NOT NULL,
    rows_done    INTEGER NOT NULL DEFAULT 0,
    rejected     INTEGER NOT NULL DEFAULT 0,
    last_key     TEXT,
    pending_probe TEXT,
    pending_key  TEXT,
    pending_rows INTEGER,
    pending_rejected INTEGER,
    done         INTEGER NOT NULL DEFAULT 0,
    updated_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (run, table_name)
);
CREATE TABLE transfer_run (
    run         TEXT PRIMARY KEY,
    plan        TEXT NOT NULL,
    started_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    finished_at TEXT,
    stage       TEXT NOT NULL DEFAULT 'load'
);
