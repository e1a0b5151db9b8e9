-- Every posted transaction inserted into these two indexes at its accounts' places, so a batch
-- spread over many accounts dirtied a page of each per account; `entries_account` already finds
-- an account's transactions (the transactions list filters by account through it).
DROP INDEX transactions_from;
DROP INDEX transactions_to;
