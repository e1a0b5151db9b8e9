-- The language a user chose for the console ('en' or 'ja'); none means "as the browser asks".
ALTER TABLE users ADD COLUMN locale TEXT;
