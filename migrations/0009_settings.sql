-- Facts about the database itself, one row per name: `demo_created_at` marks a database that
-- demo mode created, so demo mode never takes over an operator's real database.
CREATE TABLE settings (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
