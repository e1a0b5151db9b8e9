//! Turning compared pairs and unmatched records into breaks. Pure: the rules live here and
//! are unit-tested without a database.

use crate::domain::money::{Money, format_fiat};
use crate::domain::recon::{BreakClass, Differs, RecordStatus};
use crate::server::db::recon_cases::Sighting;
use crate::server::db::recon_compare::{LedgerSide, Pair, StripeSide};
use crate::server::db::stripe_records::StoredRecord;

/// The breaks one pair shows. A payment fully taken back by adjustments expects nothing from
/// Stripe but a record that is not guaranteed (or none at all).
pub fn breaks_of_pair(pair: &Pair) -> Vec<(BreakClass, Differs)> {
    let ledger = &pair.ledger;
    let fiat = |v: i64| format_fiat(v, &ledger.fiat_currency);
    let expected = ledger.expected_requested();
    let Some(stripe) = &pair.stripe else {
        return if expected > 0 { vec![(BreakClass::MissingInStripe, Differs::NoRecord { ledger: fiat(expected) })] } else { vec![] };
    };
    if stripe.currency != ledger.fiat_currency {
        let differs = Differs::Currency { ledger: ledger.fiat_currency.to_uppercase(), stripe: stripe.currency.to_uppercase() };
        return vec![(BreakClass::CurrencyMismatch, differs)];
    }
    let mut found = Vec::new();
    if stripe.status != RecordStatus::Guaranteed {
        if expected > 0 {
            found.push((BreakClass::StatusMismatch, Differs::Status { stripe: stripe.status, ledger: fiat(expected) }));
        }
    } else if stripe.amount_requested != expected {
        found.push((BreakClass::AmountMismatch, Differs::Amount { ledger: fiat(expected), stripe: fiat(stripe.amount_requested) }));
    }
    if stripe.amount_refunded != ledger.refunded {
        let differs = Differs::Refunded { ledger: fiat(ledger.refunded), stripe: fiat(stripe.amount_refunded) };
        found.push((BreakClass::RefundMismatch, differs));
    }
    if let Some(customer) = &stripe.customer
        && ledger.account_customer.as_ref() != Some(customer)
    {
        let differs = Differs::Customer { ledger: ledger.account_customer.clone(), stripe: customer.clone() };
        found.push((BreakClass::CustomerMismatch, differs));
    }
    found
}

pub fn sighting(class: BreakClass, differs: Differs, ledger: &LedgerSide, stripe: Option<&StripeSide>) -> Sighting {
    Sighting {
        class,
        subject: ledger.transaction_id.clone(),
        transaction_id: Some(ledger.transaction_id.clone()),
        record_id: stripe.map(|s| s.record_id.clone()),
        account_id: Some(ledger.account_id.clone()),
        amount: Money::new(ledger.amount, ledger.currency.clone()),
        differs,
    }
}

/// Whether a record still stands for money received: guaranteed and not wholly refunded.
pub fn carries_money(record: &StoredRecord) -> bool {
    let r = &record.record;
    r.status == RecordStatus::Guaranteed && r.amount_refunded < r.amount_guaranteed
}

/// Of the records matched to one transaction, the one that mirrors it: one that carries money,
/// then the one Regio stored or a person linked, then the oldest.
pub fn primary(records: &[&StoredRecord]) -> Option<String> {
    records
        .iter()
        .min_by_key(|r| {
            let chosen = matches!(r.match_source.as_deref(), Some("stored" | "manual"));
            (!carries_money(r), !chosen, r.record.created, r.record.id.clone())
        })
        .map(|r| r.record.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger() -> LedgerSide {
        LedgerSide {
            transaction_id: "t1".into(),
            currency: "SRB".into(),
            amount: 1200,
            fiat_amount: 1200,
            fiat_currency: "jpy".into(),
            account_id: "a1".into(),
            account_customer: None,
            refunded: 0,
            adjusted: 0,
        }
    }

    fn stripe() -> StripeSide {
        StripeSide {
            record_id: "pr_1".into(),
            currency: "jpy".into(),
            amount_requested: 1200,
            amount_refunded: 0,
            status: RecordStatus::Guaranteed,
            customer: None,
        }
    }

    fn classes(pair: Pair) -> Vec<BreakClass> {
        breaks_of_pair(&pair).into_iter().map(|(c, _)| c).collect()
    }

    #[test]
    fn agreeing_sides_have_no_break() {
        assert!(classes(Pair { ledger: ledger(), stripe: Some(stripe()) }).is_empty());
    }

    #[test]
    fn a_missing_record_is_a_break_unless_the_payment_was_taken_back() {
        assert_eq!(classes(Pair { ledger: ledger(), stripe: None }), [BreakClass::MissingInStripe]);
        let reversed = LedgerSide { adjusted: -1200, ..ledger() };
        assert!(classes(Pair { ledger: reversed, stripe: None }).is_empty());
    }

    #[test]
    fn each_difference_is_its_own_break() {
        let s = StripeSide { amount_requested: 1000, amount_refunded: 100, customer: Some("cus_x".into()), ..stripe() };
        assert_eq!(classes(Pair { ledger: ledger(), stripe: Some(s) }), [BreakClass::AmountMismatch, BreakClass::RefundMismatch, BreakClass::CustomerMismatch]);
    }

    #[test]
    fn another_currency_hides_the_amount_comparisons() {
        let s = StripeSide { currency: "usd".into(), amount_requested: 8, ..stripe() };
        assert_eq!(classes(Pair { ledger: ledger(), stripe: Some(s) }), [BreakClass::CurrencyMismatch]);
    }

    #[test]
    fn a_failed_record_is_a_status_break_only_while_the_ledger_keeps_the_money() {
        let failed = StripeSide { status: RecordStatus::Failed, ..stripe() };
        assert_eq!(classes(Pair { ledger: ledger(), stripe: Some(failed.clone()) }), [BreakClass::StatusMismatch]);
        let reversed = LedgerSide { adjusted: -1200, ..ledger() };
        assert!(classes(Pair { ledger: reversed, stripe: Some(failed) }).is_empty());
    }

    #[test]
    fn adjustments_change_what_stripe_should_show() {
        let adjusted = LedgerSide { adjusted: -200, ..ledger() };
        let s = StripeSide { amount_requested: 1000, ..stripe() };
        assert!(classes(Pair { ledger: adjusted, stripe: Some(s) }).is_empty());
    }
}
