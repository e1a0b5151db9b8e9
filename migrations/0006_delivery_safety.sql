-- What a delivery sends is fixed when the transaction is posted: beside the fiat amount and
-- rate, the fiat currency and the local exponent, so a retry repeats identical parameters
-- whatever the currency's settings say later.
ALTER TABLE transactions ADD COLUMN fiat_currency TEXT;
ALTER TABLE transactions ADD COLUMN exponent BIGINT;
UPDATE transactions SET fiat_currency = (SELECT c.fiat_currency FROM currencies c WHERE c.code = transactions.currency) WHERE fiat_amount IS NOT NULL;
UPDATE transactions SET exponent = (SELECT c.exponent FROM currencies c WHERE c.code = transactions.currency);

-- When a delivery was first sent (it may have reached Stripe from then on): a retry later than
-- Stripe keeps idempotency keys looks for the record that attempt may have made first.
ALTER TABLE outbox ADD COLUMN first_sent_at BIGINT;
