-- CSV imports: the uploaded file, its check results, and whether it was committed.
CREATE TABLE imports (
    id           TEXT PRIMARY KEY,
    filename     TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('checking', 'checked', 'committing', 'committed', 'failed')),
    row_count    BIGINT NOT NULL,
    valid_count  BIGINT NOT NULL DEFAULT 0,
    error_count  BIGINT NOT NULL DEFAULT 0,
    -- The first errors found, as JSON [{index, field, message}], for the preview.
    errors_json  TEXT NOT NULL DEFAULT '[]',
    -- Per kind: {"payment": {"count": n, "amount": "…"}} in the local currency's units.
    summary_json TEXT NOT NULL DEFAULT '{}',
    content      TEXT NOT NULL
);
