-- Refunds above a currency's threshold (minor units; NULL: none) wait for a second person.
ALTER TABLE currencies ADD COLUMN refund_approval_threshold BIGINT;

-- Refunds requested in the console. A pending request reserves its amount against the payment;
-- only `posted` moved money, through the refund transaction it names.
CREATE TABLE refund_requests (
    id              TEXT PRIMARY KEY,
    payment_id      TEXT NOT NULL REFERENCES transactions (id),
    currency        TEXT NOT NULL,
    amount          BIGINT NOT NULL CHECK (amount > 0),
    reason          TEXT NOT NULL CHECK (reason IN ('requested_by_customer', 'duplicate', 'fraudulent', 'merchant_error', 'other')),
    note            TEXT,
    payer           TEXT NOT NULL CHECK (payer IN ('merchant', 'operator')),
    state           TEXT NOT NULL CHECK (state IN ('pending_approval', 'rejected', 'withdrawn', 'expired', 'posted')),
    requested_by_id TEXT,
    requested_by    TEXT NOT NULL,
    requested_at    BIGINT NOT NULL,
    expires_at      BIGINT,
    decided_by_id   TEXT,
    decided_by      TEXT,
    decided_at      BIGINT,
    decision_note   TEXT,
    transaction_id  TEXT REFERENCES transactions (id)
);
CREATE INDEX refund_requests_payment ON refund_requests (payment_id, state);
CREATE INDEX refund_requests_requested ON refund_requests (requested_at DESC, id DESC);
CREATE INDEX refund_requests_state ON refund_requests (state, expires_at);
