-- Billing: members linked to Stripe customers, invoices priced in local currency, the Stripe
-- calls billing owes (steps, an outbox of their own), and the Stripe events Regio received.

ALTER TABLE accounts ADD COLUMN email TEXT;
-- One account per Stripe customer.
CREATE UNIQUE INDEX accounts_stripe_customer ON accounts (stripe_customer_id) WHERE stripe_customer_id IS NOT NULL;

-- Regio's invoices, and those made in the Stripe Dashboard for a linked customer. Amounts in
-- minor units: the local total as priced, the fiat total and what is left to pay as Stripe has them.
CREATE TABLE invoices (
    id               TEXT PRIMARY KEY,
    stripe_id        TEXT UNIQUE,
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    customer         TEXT NOT NULL,
    currency         TEXT NOT NULL REFERENCES currencies (code),
    local_total      BIGINT NOT NULL,
    fiat_currency    TEXT NOT NULL,
    fiat_total       BIGINT NOT NULL,
    fiat_remaining   BIGINT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'void', 'uncollectible')),
    origin           TEXT NOT NULL CHECK (origin IN ('regio', 'stripe')),
    number           TEXT,
    due_at           BIGINT,
    memo             TEXT NOT NULL,
    hosted_url       TEXT,
    created_by       TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX invoices_created ON invoices (created_at DESC, id DESC);
CREATE INDEX invoices_status ON invoices (status, created_at DESC, id DESC);
CREATE INDEX invoices_account ON invoices (account_id, created_at DESC, id DESC);

CREATE TABLE invoice_lines (
    invoice_id   TEXT NOT NULL REFERENCES invoices (id),
    line         BIGINT NOT NULL,
    description  TEXT NOT NULL,
    quantity     BIGINT NOT NULL CHECK (quantity > 0),
    unit_amount  BIGINT NOT NULL CHECK (unit_amount > 0),
    local_amount BIGINT NOT NULL,
    fiat_amount  BIGINT NOT NULL,
    PRIMARY KEY (invoice_id, line)
);

-- The Stripe calls billing owes, written in the same database transaction as their cause and
-- made by a worker under `idempotency_key` (derived from what the step does).
CREATE TABLE billing_steps (
    id              TEXT PRIMARY KEY,
    -- The account (customer steps) or the invoice (invoice steps) the step is for.
    subject         TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('create_customer', 'tag_customer', 'attach_payment_method', 'create_invoice', 'finalize_invoice',
                                                  'void_invoice', 'mark_uncollectible', 'create_plan', 'archive_plan', 'create_subscription',
                                                  'cancel_subscription', 'cancel_at_period_end')),
    idempotency_key TEXT NOT NULL UNIQUE,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_by      TEXT,
    claimed_until   BIGINT,
    last_error      TEXT,
    stripe_id       TEXT,
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX billing_steps_due ON billing_steps (state, next_attempt_at);
CREATE INDEX billing_steps_subject ON billing_steps (subject, created_at);

-- Each Stripe event once, by id, however often it is delivered or found by the catch-up.
CREATE TABLE stripe_events (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    object_id    TEXT,
    created      BIGINT NOT NULL,
    received_at  BIGINT NOT NULL,
    via          TEXT NOT NULL CHECK (via IN ('webhook', 'catch_up')),
    state        TEXT NOT NULL CHECK (state IN ('pending', 'processed', 'ignored', 'failed')),
    attempts     BIGINT NOT NULL DEFAULT 0,
    error        TEXT,
    result       TEXT,
    processed_at BIGINT
);
CREATE INDEX stripe_events_received ON stripe_events (received_at DESC, id DESC);
CREATE INDEX stripe_events_state ON stripe_events (state, received_at);
