-- The currency's double-entry ledger, its API keys, and the outbox that mirrors it into Stripe.

CREATE TABLE currencies (
    code                TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    exponent            BIGINT NOT NULL,
    fiat_currency       TEXT NOT NULL,
    fiat_exponent       BIGINT NOT NULL,
    -- Fiat major units per local major unit, as a decimal string (rust_decimal).
    peg_rate            TEXT NOT NULL,
    payment_method_type TEXT NOT NULL,
    payment_method_name TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);

CREATE TABLE accounts (
    id                 TEXT PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('member', 'merchant', 'operator')),
    display_name       TEXT NOT NULL,
    external_ref       TEXT NOT NULL UNIQUE,
    status             TEXT NOT NULL CHECK (status IN ('active', 'frozen', 'closed')),
    stripe_customer_id TEXT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX accounts_display_name ON accounts (display_name);

-- Cached balances, changed only in the transaction that writes the entries; a test re-derives
-- them from `entries`.
CREATE TABLE account_balances (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    currency   TEXT NOT NULL,
    balance    BIGINT NOT NULL,
    PRIMARY KEY (account_id, currency)
);

-- Immutable: never updated or deleted. Corrections are new rows that reference the one they
-- correct (`corrects_id`; for a refund, the payment it refunds).
CREATE TABLE transactions (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('top_up', 'payment', 'refund', 'redemption', 'adjustment', 'invoice_payment')),
    currency     TEXT NOT NULL REFERENCES currencies (code),
    amount       BIGINT NOT NULL CHECK (amount > 0),
    from_account TEXT NOT NULL REFERENCES accounts (id),
    to_account   TEXT NOT NULL REFERENCES accounts (id),
    -- The fiat amount reported to Stripe and the rate it was converted at (mirrored kinds only).
    fiat_amount  BIGINT,
    peg_rate     TEXT,
    occurred_at  BIGINT NOT NULL,
    recorded_at  BIGINT NOT NULL,
    description  TEXT NOT NULL,
    source       TEXT NOT NULL,
    external_ref TEXT NOT NULL,
    corrects_id  TEXT REFERENCES transactions (id),
    UNIQUE (source, external_ref)
);
CREATE INDEX transactions_occurred ON transactions (occurred_at DESC, id DESC);
CREATE INDEX transactions_kind ON transactions (kind, id);
CREATE INDEX transactions_from ON transactions (from_account, id);
CREATE INDEX transactions_to ON transactions (to_account, id);
CREATE INDEX transactions_corrects ON transactions (corrects_id);

CREATE TABLE entries (
    transaction_id TEXT NOT NULL REFERENCES transactions (id),
    leg            BIGINT NOT NULL,
    account_id     TEXT NOT NULL REFERENCES accounts (id),
    currency       TEXT NOT NULL,
    amount         BIGINT NOT NULL,
    PRIMARY KEY (transaction_id, leg)
);
CREATE INDEX entries_account ON entries (account_id, transaction_id);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    -- SHA-256 of the whole key: keys are long random strings, so a fast hash is enough.
    key_hash    TEXT NOT NULL UNIQUE,
    key_prefix  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

-- Work that must reach Stripe, written in the same database transaction as its cause.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    transaction_id  TEXT NOT NULL REFERENCES transactions (id),
    operation       TEXT NOT NULL CHECK (operation IN ('report_payment', 'report_refund')),
    idempotency_key TEXT NOT NULL UNIQUE,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    -- A worker's claim: who holds the row and until when (a crashed worker's claim expires).
    claimed_by      TEXT,
    claimed_until   BIGINT,
    last_error      TEXT,
    stripe_id       TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_transaction ON outbox (transaction_id);

CREATE TABLE outbox_attempts (
    id          TEXT PRIMARY KEY,
    outbox_id   TEXT NOT NULL REFERENCES outbox (id),
    at          BIGINT NOT NULL,
    outcome     TEXT NOT NULL,
    worker      TEXT NOT NULL,
    http_status BIGINT,
    error       TEXT
);
CREATE INDEX outbox_attempts_outbox ON outbox_attempts (outbox_id, at);
