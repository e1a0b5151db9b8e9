-- Subscriptions paid from wallets: plans (a Stripe product and recurring price in local currency),
-- subscriptions, each member's custom payment method, and dunning when a wallet is short.

-- The member's `pm_…` of type custom for the currency's `cpmt_` type, its customer's default.
ALTER TABLE accounts ADD COLUMN stripe_payment_method TEXT;

-- Dunning, per currency: retries after these days (comma-separated), then the final rule; and
-- whether a short wallet pays what it holds (1) or waits for the whole amount (0).
ALTER TABLE currencies ADD COLUMN dunning_days TEXT NOT NULL DEFAULT '1,3,7';
ALTER TABLE currencies ADD COLUMN dunning_final TEXT NOT NULL DEFAULT 'leave_past_due';
ALTER TABLE currencies ADD COLUMN partial_collection BIGINT NOT NULL DEFAULT 0;

CREATE TABLE plans (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    currency       TEXT NOT NULL REFERENCES currencies (code),
    -- Local minor units per period, and the fiat price at the peg when the plan was made.
    local_amount   BIGINT NOT NULL CHECK (local_amount > 0),
    fiat_currency  TEXT NOT NULL,
    fiat_amount    BIGINT NOT NULL CHECK (fiat_amount > 0),
    billing_interval TEXT NOT NULL CHECK (billing_interval IN ('month', 'year')),
    stripe_product TEXT,
    stripe_price   TEXT UNIQUE,
    active         BIGINT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE subscriptions (
    id                   TEXT PRIMARY KEY,
    stripe_id            TEXT UNIQUE,
    account_id           TEXT NOT NULL REFERENCES accounts (id),
    plan_id              TEXT NOT NULL REFERENCES plans (id),
    quantity             BIGINT NOT NULL CHECK (quantity > 0),
    status               TEXT NOT NULL,
    cancel_at_period_end BIGINT NOT NULL DEFAULT 0,
    current_period_end   BIGINT,
    created_by           TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX subscriptions_created ON subscriptions (created_at DESC, id DESC);
CREATE INDEX subscriptions_account ON subscriptions (account_id);

-- An invoice Stripe collects automatically (a subscription's) names its subscription; one the
-- wallet could not pay waits for funds, retried on the currency's schedule.
ALTER TABLE invoices ADD COLUMN subscription TEXT;
ALTER TABLE invoices ADD COLUMN automatic BIGINT NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN awaiting_since BIGINT;
ALTER TABLE invoices ADD COLUMN next_retry_at BIGINT;
ALTER TABLE invoices ADD COLUMN retries BIGINT NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN dunning_outcome TEXT;
CREATE INDEX invoices_awaiting ON invoices (awaiting_since) WHERE awaiting_since IS NOT NULL;
