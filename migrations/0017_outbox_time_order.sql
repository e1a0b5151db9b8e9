-- The transactions list filtered by mirror state walks the outbox in the order the list shows,
-- newest first by when the payment occurred, instead of reading every pending delivery and
-- sorting them. Each delivery carries its transaction's time, as entries do (0014). Only the
-- ledger's own deliveries (no case) belong to the list.
ALTER TABLE outbox ADD COLUMN occurred_at BIGINT;
UPDATE outbox SET occurred_at = (SELECT t.occurred_at FROM transactions t WHERE t.id = outbox.transaction_id);
CREATE INDEX outbox_state_time ON outbox (state, occurred_at DESC, transaction_id DESC) WHERE case_id IS NULL;
