-- The queue lists live cases oldest first; these walk them in that order (all of them, one
-- class, one account's) instead of sorting every live case on each page.
CREATE INDEX recon_cases_live_queue ON recon_cases (first_seen, id) WHERE state <> 'closed';
CREATE INDEX recon_cases_live_class ON recon_cases (class, first_seen, id) WHERE state <> 'closed';
CREATE INDEX recon_cases_account ON recon_cases (account_id, first_seen, id);
