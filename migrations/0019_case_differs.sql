-- What differs on a case as data (JSON of `Differs`), so each reader's page words it in their
-- language; `summary` keeps the English text for exports and the history. Cases seen before
-- this get it on their next sighting.
ALTER TABLE recon_cases ADD COLUMN differs TEXT;
