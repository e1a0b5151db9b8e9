-- How a user reads the console: the language they chose ('en' or 'ja') and their time zone as
-- minutes east of UTC. None means "as the browser asks" and "the language's usual zone".
ALTER TABLE users ADD COLUMN locale TEXT;
ALTER TABLE users ADD COLUMN utc_offset BIGINT;
