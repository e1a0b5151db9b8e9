-- What Regio itself wrote in a case's history (a break's description, "the break is gone",
-- "assigned to …") in Japanese beside the English in `detail`, so each reader sees their own
-- language. NULL where the words are a person's own (a remark, a fix's reason) or predate it.
ALTER TABLE recon_case_events ADD COLUMN detail_ja TEXT;
