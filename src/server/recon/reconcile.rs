//! Comparing the ledger with the snapshot and keeping the cases in step: new breaks open
//! cases, breaks seen again refresh theirs, breaks gone close theirs.

use super::ReconError;
use super::classify::{breaks_of_pair, carries_money, primary, sighting};
use crate::domain::money::{Money, format_fiat};
use crate::domain::recon::{BreakClass, Differs};
use crate::server::db::recon_cases::{self, Sighting};
use crate::server::db::recon_compare::{self, Among, Pair, Scope};
use crate::server::db::stripe_invoices;
use crate::server::db::stripe_records::{self, StoredRecord};
use crate::server::db::{Db, DbTx, currencies, now_ms};
use std::collections::{BTreeMap, HashMap, HashSet};

/// What a comparison found, and which payments it looked at: a case is closed only when its
/// subject was compared and its break not found again.
pub struct Breaks {
    pub found: Vec<Sighting>,
    /// The payments compared; `None` when the comparison read every payment.
    compared: Option<HashSet<String>>,
}

impl Breaks {
    /// Whether the comparison looked at `subject`: every orphan is looked at on every run.
    fn covers(&self, class: &str, subject: &str) -> bool {
        class == BreakClass::OrphanInStripe.as_str() || self.compared.as_ref().is_none_or(|ids| ids.contains(subject))
    }
}

/// Every break the ledger and the snapshot show now among the payments in `scope`, and every
/// orphan record.
pub async fn find_breaks(tx: &mut DbTx, grace_ms: i64, scope: Scope) -> Result<Breaks, ReconError> {
    let changed = match scope {
        Scope::Everything => None,
        Scope::ChangedSince(since) => Some(recon_compare::changed_since(tx, since).await?),
    };
    let found = breaks_among(tx, grace_ms, changed.as_deref().map_or(Among::All, Among::Only)).await?;
    Ok(Breaks { found, compared: changed.map(|ids| ids.into_iter().collect()) })
}

async fn breaks_among(tx: &mut DbTx, grace_ms: i64, among: Among<'_>) -> Result<Vec<Sighting>, ReconError> {
    let pairs = recon_compare::disagreeing(tx, now_ms() - grace_ms, among).await?;
    let shared = stripe_records::shared_transactions(tx, among).await?;
    let mut by_transaction: HashMap<String, Vec<StoredRecord>> = HashMap::new();
    for record in stripe_records::matched_to(tx, &shared).await? {
        if let Some(t) = record.transaction_id.clone() {
            by_transaction.entry(t).or_default().push(record);
        }
    }
    let primaries: HashMap<&str, String> =
        by_transaction.iter().filter_map(|(t, records)| primary(&records.iter().collect::<Vec<_>>()).map(|p| (t.as_str(), p))).collect();

    let mut found = Vec::new();
    for pair in &pairs {
        let is_primary = match (primaries.get(pair.ledger.transaction_id.as_str()), &pair.stripe) {
            (Some(p), Some(s)) => *p == s.record_id,
            _ => true,
        };
        if is_primary {
            for (class, differs) in breaks_of_pair(pair) {
                found.push(sighting(class, differs, &pair.ledger, pair.stripe.as_ref()));
            }
        }
    }
    let mut ledger_sides = recon_compare::one_pair_each(tx, &shared).await?;
    for (transaction_id, records) in &by_transaction {
        let live: Vec<&StoredRecord> = records.iter().filter(|r| carries_money(r)).collect();
        if live.len() < 2 {
            continue;
        }
        let Some(Pair { ledger, .. }) = ledger_sides.remove(transaction_id) else { continue };
        let keep = primaries.get(transaction_id.as_str());
        let extra = live.iter().find(|r| Some(&r.record.id) != keep).map(|r| r.record.id.clone());
        let records = live.iter().map(|r| r.record.id.clone()).collect();
        let mut s = sighting(BreakClass::DuplicateInStripe, Differs::Duplicate { records }, &ledger, None);
        s.record_id = extra;
        found.push(s);
    }
    let invoice_pairs = stripe_invoices::pairs(tx, now_ms() - grace_ms, among).await?;
    let paying: Vec<String> = invoice_pairs.iter().map(|p| p.transaction_id.clone()).collect();
    let sides = recon_compare::one_pair_each(tx, &paying).await?;
    for pair in invoice_pairs {
        // Without a record the payment is already missing in Stripe; that case says enough.
        let Some(record) = &pair.record_id else { continue };
        let (invoice, record) = (pair.invoice.clone(), record.clone());
        let problem = match pair.status.as_deref() {
            None => Differs::InvoiceNotInStripe { invoice },
            Some("paid") if pair.paid_records.contains(&record) => continue,
            Some("paid") => Differs::InvoicePaidByOther { invoice, paid_by: pair.paid_records.clone(), record },
            Some(status) => Differs::InvoiceStatus { invoice, status: status.to_string(), record },
        };
        let Some(Pair { ledger, stripe }) = sides.get(&pair.transaction_id).cloned() else { continue };
        found.push(sighting(BreakClass::InvoiceMismatch, problem, &ledger, stripe.as_ref()));
    }
    let currencies = currencies::list_tx(tx).await?;
    for orphan in stripe_records::unmatched(tx).await? {
        let r = &orphan.record;
        let currency = currencies
            .iter()
            .find(|c| Some(&c.payment_method_type) == r.payment_method_type.as_ref())
            .or_else(|| currencies.iter().find(|c| c.fiat_currency == r.currency));
        let amount = match currency {
            Some(c) => Money::new(c.peg().to_local(r.amount_requested).unwrap_or(0), c.code.clone()),
            None => Money::new(r.amount_requested, r.currency.to_uppercase()),
        };
        found.push(Sighting {
            class: BreakClass::OrphanInStripe,
            subject: r.id.clone(),
            transaction_id: None,
            record_id: Some(r.id.clone()),
            account_id: None,
            amount,
            differs: Differs::NoTransaction { stripe: format_fiat(r.amount_requested, &r.currency) },
        });
    }
    Ok(found)
}

/// Brings the cases in line with `breaks`: opens the new, refreshes those found again, closes
/// those compared and not found; returns the breaks standing by class.
pub async fn update_cases(db: &Db, breaks: &Breaks) -> Result<BTreeMap<BreakClass, i64>, ReconError> {
    let found = &breaks.found;
    let mut tx = db.begin_write().await?;
    let now = now_ms();
    let live = recon_cases::live_keys(&mut tx.tx).await?;
    let mut fresh = Vec::new();
    let mut again = Vec::new();
    let mut unique = HashSet::new();
    let found_keys: HashSet<(&str, &str)> = found.iter().map(|s| (s.class.as_str(), s.subject.as_str())).collect();
    for s in found.iter().filter(|s| unique.insert((s.class, s.subject.clone()))) {
        match live.get(&(s.class.as_str().to_string(), s.subject.clone())) {
            Some(id) => again.push((id.clone(), s)),
            None => fresh.push(s.clone()),
        }
    }
    let gone: Vec<String> = live
        .iter()
        .filter(|((class, subject), _)| breaks.covers(class, subject) && !found_keys.contains(&(class.as_str(), subject.as_str())))
        .map(|(_, id)| id.clone())
        .collect();
    recon_cases::seen(&mut tx.tx, &again, now).await?;
    recon_cases::open(&mut tx.tx, &fresh, now).await?;
    recon_cases::close_gone(&mut tx.tx, &gone, now).await?;
    tx.commit().await?;
    // The breaks standing after the run: those found, and the live cases it did not look at.
    let unseen = live.keys().filter(|(class, subject)| !breaks.covers(class, subject)).filter_map(|(class, _)| class.parse::<BreakClass>().ok());
    let mut by_class = BTreeMap::new();
    for class in unique.iter().map(|(class, _)| *class).chain(unseen) {
        *by_class.entry(class).or_insert(0) += 1;
    }
    Ok(by_class)
}
