-- Reconciliation: Stripe's side as the last run read it, the runs, and the cases people work.

-- One row per Payment Record read from Stripe. `transaction_id` is the ledger transaction the
-- record mirrors, resolved when the row is written (the id Regio stored, then the payment
-- reference, then Regio's metadata) or set by a person: `match_source` 'manual'; 'unlinked'
-- keeps a record a person detached from matching again on its own.
CREATE TABLE stripe_records (
    id                   TEXT PRIMARY KEY,
    -- Stripe's `created`, in Unix seconds.
    created              BIGINT NOT NULL,
    livemode             BIGINT NOT NULL,
    currency             TEXT NOT NULL,
    amount_requested     BIGINT NOT NULL,
    amount_guaranteed    BIGINT NOT NULL,
    amount_refunded      BIGINT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('guaranteed', 'failed', 'canceled', 'pending')),
    customer             TEXT,
    payment_method_type  TEXT,
    payment_reference    TEXT,
    metadata_transaction TEXT,
    description          TEXT,
    transaction_id       TEXT,
    match_source         TEXT CHECK (match_source IN ('stored', 'reference', 'metadata', 'manual', 'unlinked')),
    synced_at            BIGINT NOT NULL
);
CREATE INDEX stripe_records_transaction ON stripe_records (transaction_id);

-- An invoice payment names the Stripe invoice it paid (`in_…`), set when posted, never changed;
-- its delivery attaches the Payment Record to that invoice.
ALTER TABLE transactions ADD COLUMN stripe_invoice TEXT;

-- The invoices the ledger names, as the last run read them.
CREATE TABLE stripe_invoices (
    id           TEXT PRIMARY KEY,
    status       TEXT NOT NULL,
    -- The Payment Records whose invoice payments are paid, space-separated.
    paid_records TEXT NOT NULL,
    synced_at    BIGINT NOT NULL
);

-- The records Regio's own deliveries made, to match Stripe's rows to them.
CREATE INDEX outbox_stripe_id ON outbox (stripe_id);

-- Deliveries a reconciliation fix queued: they name their target record, amount and reference
-- themselves instead of deriving them from the transaction.
ALTER TABLE outbox ADD COLUMN case_id TEXT;
ALTER TABLE outbox ADD COLUMN record_id TEXT;
ALTER TABLE outbox ADD COLUMN amount BIGINT;
ALTER TABLE outbox ADD COLUMN reference TEXT;

-- One row: where incremental reads resume, and which instance holds the run lease.
CREATE TABLE recon_state (
    id            BIGINT PRIMARY KEY CHECK (id = 1),
    -- The newest `created` (Unix seconds) an incremental listing has read.
    cursor        BIGINT NOT NULL DEFAULT 0,
    last_full_at  BIGINT,
    lease_holder  TEXT,
    lease_until   BIGINT
);
INSERT INTO recon_state (id, cursor) VALUES (1, 0);

CREATE TABLE recon_runs (
    id            TEXT PRIMARY KEY,
    started_at    BIGINT NOT NULL,
    finished_at   BIGINT,
    started_by_id TEXT,
    started_by    TEXT NOT NULL,
    full_scan     BIGINT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    phase         TEXT NOT NULL,
    records_read  BIGINT NOT NULL DEFAULT 0,
    -- {"amount_mismatch": 3, ...}: live cases by class when the run ended.
    breaks_json   TEXT NOT NULL DEFAULT '{}',
    error         TEXT,
    heartbeat_at  BIGINT NOT NULL
);
CREATE INDEX recon_runs_started ON recon_runs (started_at);

-- A break between the ledger and Stripe, alive (open or ignored) while runs keep finding it.
-- `subject` is the transaction id, or the record id when no transaction is involved.
CREATE TABLE recon_cases (
    id             TEXT PRIMARY KEY,
    class          TEXT NOT NULL,
    subject        TEXT NOT NULL,
    transaction_id TEXT,
    record_id      TEXT,
    account_id     TEXT,
    currency       TEXT NOT NULL,
    -- Local minor units: the transaction's amount, or the orphan record's converted back.
    amount         BIGINT NOT NULL,
    summary        TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('open', 'ignored', 'closed')),
    first_seen     BIGINT NOT NULL,
    last_seen      BIGINT NOT NULL,
    closed_at      BIGINT,
    assignee_id    TEXT REFERENCES users (id),
    updated_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX recon_cases_live ON recon_cases (class, subject) WHERE state <> 'closed';
CREATE INDEX recon_cases_queue ON recon_cases (state, first_seen, id);
CREATE INDEX recon_cases_subject ON recon_cases (subject);

-- What happened to a case: sightings that changed it, fixes, assignments, remarks.
CREATE TABLE recon_case_events (
    id       TEXT PRIMARY KEY,
    case_id  TEXT NOT NULL REFERENCES recon_cases (id),
    at       BIGINT NOT NULL,
    actor_id TEXT,
    actor    TEXT NOT NULL,
    what     TEXT NOT NULL,
    detail   TEXT
);
CREATE INDEX recon_case_events_case ON recon_case_events (case_id, at);

-- Ledger adjustments a reconciliation fix posted to take Stripe's side: which payment they
-- correct, whether they change its amount or its refunds, and by how much in fiat (signed by
-- their direction when compared). Insert-only, like the transactions they describe.
CREATE TABLE recon_adjustments (
    transaction_id TEXT PRIMARY KEY REFERENCES transactions (id),
    payment_id     TEXT NOT NULL REFERENCES transactions (id),
    purpose        TEXT NOT NULL CHECK (purpose IN ('amount', 'refund')),
    fiat_amount    BIGINT NOT NULL,
    case_id        TEXT NOT NULL REFERENCES recon_cases (id)
);
CREATE INDEX recon_adjustments_payment ON recon_adjustments (payment_id);
