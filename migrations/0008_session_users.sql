-- Whose session a row is, so that resetting a password or disabling a user ends their sessions.
-- NULL for anonymous sessions and for sessions signed in before this column existed.
ALTER TABLE sessions ADD COLUMN user_id TEXT;
CREATE INDEX sessions_user ON sessions (user_id);
