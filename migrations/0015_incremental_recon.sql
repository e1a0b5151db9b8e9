-- Incremental reconciliation compares only what changed since the last run; these find it
-- without reading the ledger: new transactions and corrections, deliveries, and records read,
-- matched or detached.
ALTER TABLE stripe_records ADD COLUMN changed_at BIGINT NOT NULL DEFAULT 0;
UPDATE stripe_records SET changed_at = synced_at;
CREATE INDEX stripe_records_changed ON stripe_records (changed_at);
-- The payment a person detached the record from, which compares anew without it.
ALTER TABLE stripe_records ADD COLUMN unlinked_from TEXT;
CREATE INDEX transactions_recorded ON transactions (recorded_at);
CREATE INDEX outbox_updated ON outbox (updated_at);
-- The payments of an invoice read again (few transactions pay invoices).
CREATE INDEX transactions_stripe_invoice ON transactions (stripe_invoice) WHERE stripe_invoice IS NOT NULL;
