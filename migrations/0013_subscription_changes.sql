-- Subscriptions that start on a later date, pause collection, and change price with the
-- proration an administrator confirmed.

-- When the subscription is to be created in Stripe (ms); NULL: at once.
ALTER TABLE subscriptions ADD COLUMN starts_at BIGINT;
-- Collection paused: Stripe voids the invoices of paused periods.
ALTER TABLE subscriptions ADD COLUMN paused BIGINT NOT NULL DEFAULT 0;
-- A change of plan on its way to Stripe: the new plan and quantity, and the instant (unix
-- seconds) prorated for, the same one the confirmed preview was computed for.
ALTER TABLE subscriptions ADD COLUMN change_plan_id TEXT;
ALTER TABLE subscriptions ADD COLUMN change_quantity BIGINT;
ALTER TABLE subscriptions ADD COLUMN change_proration_date BIGINT;

-- New step kinds: the CHECK of billing_steps cannot be altered in SQLite, so the table is
-- copied into one with the longer list (the same statements run on PostgreSQL).
CREATE TABLE billing_steps_next (
    id              TEXT PRIMARY KEY,
    subject         TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('create_customer', 'tag_customer', 'attach_payment_method', 'create_invoice', 'finalize_invoice',
                                                  'void_invoice', 'mark_uncollectible', 'create_plan', 'archive_plan', 'create_subscription',
                                                  'cancel_subscription', 'cancel_at_period_end', 'pause_subscription', 'resume_subscription',
                                                  'change_subscription')),
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
INSERT INTO billing_steps_next (id, subject, kind, idempotency_key, state, attempts, next_attempt_at, claimed_by, claimed_until, last_error,
                                stripe_id, created_by, created_at, updated_at)
SELECT id, subject, kind, idempotency_key, state, attempts, next_attempt_at, claimed_by, claimed_until, last_error,
       stripe_id, created_by, created_at, updated_at FROM billing_steps;
DROP TABLE billing_steps;
ALTER TABLE billing_steps_next RENAME TO billing_steps;
CREATE INDEX billing_steps_due ON billing_steps (state, next_attempt_at);
CREATE INDEX billing_steps_subject ON billing_steps (subject, created_at);
