//! Demo mode (`REGIO_DEMO=1`, what `make run` starts): a ready-to-use admin, a currency, and a
//! living ledger of the last 60 days, so a new user has something real to look at.

use super::auth::users::{self, NewUser};
use super::billing::{self, plans};
use super::config::Config;
use super::db::audit::{self, Actor, AuditEvent};
use super::db::{DAY_MS, Db, accounts as accounts_rows, currencies as currency_rows, now_ms, outbox as outbox_rows, settings};
use super::ledger::currencies::{self, CurrencyInput};
use super::ledger::{BatchError, TransferInput, accounts, post_batch};
use super::recon::Reconciler;
use super::refunds::{self, RefundInput};
use super::stripe::client::payment_details::{CustomPaymentMethod, CustomProcessor, PaymentOutcome};
use super::stripe::client::payment_records::{ReportPayment, ReportRefund};
use super::stripe::client::{Amount, IdempotencyKey, Metadata, StripeClient};
use super::stripe::setup::DEMO_KEY;
use crate::domain::billing::{InvoiceAction, InvoiceStatus, LineInput, PlanInterval};
use crate::domain::ledger::Source;
use crate::domain::{AppError, Role};
use crate::say;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Duration;

pub const DEMO_ADMIN_EMAIL: &str = "admin@regio.local";
/// Printed at start-up; demo data only, never used outside demo mode.
pub const DEMO_ADMIN_PASSWORD: &str = "regio-demo-password";

const MEMBERS: [&str; 12] = [
    "Aiko Tanaka",
    "Haruto Suzuki",
    "Yui Takahashi",
    "Sota Watanabe",
    "Mei Ito",
    "Ren Yamamoto",
    "Hina Nakamura",
    "Riku Kobayashi",
    "Sakura Kato",
    "Yuto Yoshida",
    "Aoi Yamada",
    "Kaito Sasaki",
];
const MERCHANTS: [&str; 6] = ["Takayama Soba", "Miyagawa Morning Market", "Hida Beef Grill", "Sanmachi Sake", "Old Town Bakery", "Jinya Crafts"];
const DEMO_PAYMENT_METHOD: &str = "cpmt_regio_demo_sarubobo";
const DEMO_PAYMENT_NAME: &str = "さるぼぼコイン";

/// Demo mode reports made-up payments: with a live key they would land in a real Stripe account.
pub fn refuse_live_key(config: &Config) -> Result<(), String> {
    match &config.stripe_secret_key {
        Some(key) if config.demo && key.trim().starts_with("sk_live_") => {
            Err("REGIO_DEMO=1 refuses a live STRIPE_SECRET_KEY (sk_live_…): demo mode would report its \
             made-up payments into a real Stripe account. Use an sk_test_ key, or none and demo mode starts its own emulator."
                .into())
        }
        _ => Ok(()),
    }
}

pub struct DemoLogin {
    pub email: &'static str,
    pub password: &'static str,
    /// The ledger was seeded just now (a first start): breaks still need staging in Stripe.
    pub fresh: bool,
}

/// Outside demo mode the demo admin, whose password is published, must not sign in: disables it
/// (audited) and says whether it did.
pub async fn disable_demo_admin(db: &Db) -> Result<bool, AppError> {
    match super::db::users::find_by_email(db, DEMO_ADMIN_EMAIL).await? {
        Some(admin) if !admin.disabled => {
            users::disable_even_the_last_admin(db, &Actor::system(), &admin.id).await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Marks a database demo mode created, at its first start.
const DEMO_MARKER: &str = "demo_created_at";

/// Demo mode adds an admin whose password is published, so it works only on a database it
/// created: an empty one is marked as demo mode's at the first start; any other is refused.
async fn claim_database(db: &Db, actor: &Actor) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    if !settings::exists(&mut tx.tx, DEMO_MARKER).await? {
        if settings::holds_anything(&mut tx.tx).await? {
            return Err(AppError::conflict(say!(
                "REGIO_DEMO=1 refuses this database: demo mode did not create it, and it already holds users or a ledger. \
                 Demo mode would add an admin whose password is published. Start without REGIO_DEMO, or point DATABASE_URL at an empty database.",
                "REGIO_DEMO=1 ではこのデータベースを使用できません。デモモードで作成したものではなく、既にユーザーまたは台帳が登録されています。\
                 デモモードはパスワードが公開された管理者を追加します。REGIO_DEMO を指定せずに起動するか、DATABASE_URL に空のデータベースを指定してください。"
            )));
        }
        let now = now_ms();
        settings::insert(&mut tx.tx, DEMO_MARKER, &now.to_string(), now).await?;
        let event = AuditEvent { action: "demo.claim_database", target: "database", before: None, after: Some(serde_json::json!({ DEMO_MARKER: now })) };
        audit::record(&mut tx.tx, actor, event).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Creates the demo admin, currency and ledger unless they exist, and says how to sign in.
/// Refuses a database demo mode did not create.
pub async fn prepare(db: &Db) -> Result<DemoLogin, AppError> {
    let actor = Actor::system();
    claim_database(db, &actor).await?;
    match super::db::users::find_by_email(db, DEMO_ADMIN_EMAIL).await? {
        None => {
            let admin = NewUser::parse(DEMO_ADMIN_EMAIL, "Demo Admin", "admin", DEMO_ADMIN_PASSWORD)?;
            users::create(db, &actor, admin).await?;
        }
        // A start outside demo mode disabled it; the login demo mode prints must work.
        Some(admin) if admin.disabled => {
            users::set_disabled(db, &actor, &admin.id, false).await?;
        }
        Some(_) => {}
    }
    let fresh = currency_rows::list(db).await?.is_empty();
    if fresh {
        let input = CurrencyInput {
            code: "SRB",
            name: "さるぼぼコイン (demo)",
            exponent: "0",
            fiat_currency: "jpy",
            peg_rate: "1",
            payment_method_type: DEMO_PAYMENT_METHOD,
            payment_method_name: DEMO_PAYMENT_NAME,
        };
        currencies::save(db, &actor, currencies::parse(&input)?).await?;
        let payments = seed_ledger(db, &actor).await?;
        if let Err(e) = seed_refunds(db, &payments).await {
            tracing::warn!(error = %e, "demo: console refunds");
        }
    }
    Ok(DemoLogin { email: DEMO_ADMIN_EMAIL, password: DEMO_ADMIN_PASSWORD, fresh })
}

fn member_ref(i: usize) -> String {
    format!("member-{:03}", i + 1)
}

fn merchant_ref(i: usize) -> String {
    format!("shop-{:02}", i + 1)
}

fn transfer(reference: String, kind: &str, amount: i64, from: String, to: String, at_ms: i64, description: &str) -> TransferInput {
    TransferInput {
        external_ref: reference,
        kind: kind.into(),
        currency: "SRB".into(),
        amount: amount.to_string(),
        from: Some(from),
        to: Some(to),
        occurred_at: Some(super::db::format_ms(at_ms)),
        description: Some(description.into()),
        ..TransferInput::default()
    }
}

/// Sixty days of top-ups, shop payments, a few refunds and merchant redemptions, the same on
/// every fresh demo database (seeded randomness). Returns the payments not refunded, as
/// `(external_ref, amount)`, oldest first.
async fn seed_ledger(db: &Db, actor: &Actor) -> Result<Vec<(String, i64)>, AppError> {
    let mut open = vec![accounts::NewAccount::parse("operator", "Hida Issuer", "issuer")?];
    open.extend(MEMBERS.iter().enumerate().map(|(i, n)| accounts::NewAccount::parse("member", n, &member_ref(i))).collect::<Result<Vec<_>, _>>()?);
    open.extend(MERCHANTS.iter().enumerate().map(|(i, n)| accounts::NewAccount::parse("merchant", n, &merchant_ref(i))).collect::<Result<Vec<_>, _>>()?);
    accounts::open_many(db, actor, open).await?;

    let mut rng = StdRng::seed_from_u64(2026);
    let start = now_ms() - 60 * DAY_MS;
    let mut items = Vec::new();
    let mut payments: Vec<(String, i64, i64)> = Vec::new();
    // Members spend only what they hold, as the ledger demands.
    let mut wallets = [0i64; MEMBERS.len()];
    for day in 0..60i64 {
        let day_start = start + day * DAY_MS;
        if day % 10 == 0 {
            for (m, wallet) in wallets.iter_mut().enumerate() {
                let amount = [5_000, 10_000, 20_000][rng.gen_range(0..3)];
                *wallet += amount;
                items.push(transfer(
                    format!("topup-{day}-{m}"),
                    "top_up",
                    amount,
                    "issuer".into(),
                    member_ref(m),
                    day_start + 9 * 3_600_000,
                    "Top-up at the credit union",
                ));
            }
        }
        for n in 0..rng.gen_range(3..8) {
            let (m, s) = (rng.gen_range(0..MEMBERS.len()), rng.gen_range(0..MERCHANTS.len()));
            let amount = rng.gen_range(3..60) * 50;
            if wallets[m] < amount {
                continue;
            }
            wallets[m] -= amount;
            let reference = format!("pos-{day}-{n}");
            let at = day_start + rng.gen_range(10..20) * 3_600_000 + rng.gen_range(0..3_600_000);
            items.push(transfer(reference.clone(), "payment", amount, member_ref(m), merchant_ref(s), at, MERCHANTS[s]));
            payments.push((reference, amount, at));
        }
        if day % 15 == 14 {
            for s in 0..MERCHANTS.len() {
                items.push(transfer(
                    format!("redeem-{day}-{s}"),
                    "redemption",
                    1_000,
                    merchant_ref(s),
                    "issuer".into(),
                    day_start + 17 * 3_600_000,
                    "Monthly redemption",
                ));
            }
        }
    }
    let refunded = |i: usize| i % 23 == 5;
    for (i, (payment, amount, paid_at)) in payments.iter().enumerate().filter(|(i, _)| refunded(*i)) {
        let partial = if i % 2 == 0 { *amount } else { amount / 2 };
        let at = (paid_at + DAY_MS).min(now_ms() - 60_000);
        let mut refund = transfer(format!("refund-{payment}"), "refund", partial, String::new(), String::new(), at, "Returned item");
        (refund.from, refund.to, refund.refund_of) = (None, None, Some(payment.clone()));
        items.push(refund);
    }
    // Payments come before their refunds in time and in batch order, so a batch never refers
    // to a later one.
    for batch in items.chunks(500) {
        match post_batch(db, Source::Demo, batch.to_vec(), actor).await {
            Ok(_) => {}
            Err(BatchError::Database(e)) => return Err(e.into()),
            Err(BatchError::Invalid(errors)) => {
                let first = errors.first().map(|e| format!("item {}: {} {}", e.index, e.field, e.message)).unwrap_or_default();
                tracing::error!(count = errors.len(), %first, "demo ledger refused");
                return Err(AppError::Internal);
            }
        }
    }
    Ok(payments.into_iter().enumerate().filter(|(i, _)| !refunded(*i)).map(|(_, (reference, amount, _))| (reference, amount)).collect())
}

/// Above this (SRB) a demo refund waits for a second person.
const DEMO_APPROVAL_THRESHOLD: &str = "2000";

/// Console refunds of recent payments in every state: one posted, and above the threshold one
/// awaiting approval, one rejected, one withdrawn and one expired.
async fn seed_refunds(db: &Db, payments: &[(String, i64)]) -> Result<(), AppError> {
    let system = Actor::system();
    refunds::set_approval_threshold(db, &system, "SRB", Some(DEMO_APPROVAL_THRESHOLD)).await?;
    let admin = super::db::users::find_by_email(db, DEMO_ADMIN_EMAIL).await?.ok_or(AppError::Internal)?;
    let admin = Actor { user_id: Some(admin.id), label: DEMO_ADMIN_EMAIL.into(), ip: None };
    // Not a user: a name on the requests, so that the demo admin may decide them.
    let support = Actor { user_id: Some("demo-support".into()), label: "hana@regio.local (demo support)".into(), ip: None };
    let mut tx = db.begin().await?;
    let refs: Vec<String> = payments.iter().rev().take(60).map(|(r, _)| r.clone()).collect();
    let ids = super::db::ledger::by_external_refs(&mut tx, Source::Demo, &refs).await?;
    tx.commit().await?;
    let recent =
        |large: bool| payments.iter().rev().filter(move |(_, amount)| (*amount > 2_000) == large).filter_map(|(r, _)| ids.get(r).map(|t| t.id.clone()));
    let (mut large, mut small) = (recent(true), recent(false));
    let ask = |payment: String, amount: &str, reason: &str, note: Option<&str>| RefundInput {
        payment_id: payment,
        amount: amount.into(),
        reason: reason.into(),
        note: note.map(str::to_string),
        payer: None,
    };
    let week = Duration::from_secs(7 * 86_400);
    if let Some(p) = small.next() {
        refunds::request(db, &support, Role::Support, week, &ask(p, "150", "requested_by_customer", Some("Changed their mind at the counter"))).await?;
    }
    if let Some(p) = large.next() {
        refunds::request(db, &support, Role::Support, week, &ask(p, "2100", "duplicate", Some("Charged twice at the register"))).await?;
    }
    if let Some(p) = large.next() {
        let asked = refunds::request(db, &support, Role::Support, week, &ask(p, "2050", "fraudulent", Some("Card reported stolen"))).await?;
        refunds::decide(db, &admin, &asked.id, false, Some("The member confirmed the purchase".into())).await?;
    }
    if let Some(p) = large.next() {
        let asked = refunds::request(db, &support, Role::Support, week, &ask(p, "2001", "merchant_error", None)).await?;
        refunds::withdraw(db, &support, &asked.id).await?;
    }
    if let Some(p) = large.next() {
        refunds::request(db, &support, Role::Support, Duration::ZERO, &ask(p, "2200", "other", Some("Waited past its time"))).await?;
    }
    Ok(())
}

/// Once the demo ledger has reached the emulator, changes a few records the way a Dashboard
/// user would (and reports some payments by hand), then runs a full reconciliation, so the
/// reconciliation queue has a case of most classes to try the fixes on.
pub async fn stage_breaks(db: Db, stripe: StripeClient, emulator_url: String) -> Result<(), String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
    while outbox_rows::pending_count(&db).await.map_err(|e| e.to_string())? > 0 {
        if std::time::Instant::now() > deadline {
            return Err("the demo ledger did not reach the emulator in time".into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let payments = outbox_rows::delivered_demo_payments(&db, 7).await.map_err(|e| e.to_string())?;
    let [amount, refund, status, customer, deleted, duplicate, currency] =
        <[outbox_rows::DeliveredPayment; 7]>::try_from(payments).map_err(|_| "the demo ledger has too few payments".to_string())?;
    let http = reqwest::Client::new();
    let dashboard = |record: &str, form: Vec<(&'static str, String)>| {
        let request = http.post(format!("{emulator_url}/_emulator/payment_records/{record}")).bearer_auth(DEMO_KEY).form(&form);
        async move { request.send().await.and_then(|r| r.error_for_status()).map(|_| ()).map_err(|e| e.to_string()) }
    };
    dashboard(&amount.record_id, vec![("amount_requested", (amount.fiat_amount - 100).to_string())]).await?;
    dashboard(&status.record_id, vec![("outcome", "failed".into())]).await?;
    dashboard(&customer.record_id, vec![("customer", "cus_demo_someone_else".into())]).await?;
    dashboard(&currency.record_id, vec![("currency", "usd".into())]).await?;
    http.delete(format!("{emulator_url}/_emulator/payment_records/{}", deleted.record_id))
        .bearer_auth(DEMO_KEY)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| e.to_string())?;

    let key = |name: &str| IdempotencyKey::new(format!("demo-dashboard-{name}")).map_err(|e| e.to_string());
    let now = now_ms() / 1000;
    let by_hand = |value: i64, reference: Option<String>| ReportPayment {
        amount_requested: Amount::new("jpy", value),
        initiated_at: now,
        payment_method: CustomPaymentMethod {
            custom_type: DEMO_PAYMENT_METHOD.into(),
            display_name: Some(DEMO_PAYMENT_NAME.into()),
            billing_details: None,
            payment_method: None,
        },
        outcome: Some(PaymentOutcome::Guaranteed { guaranteed_at: now }),
        processor: reference.map(|payment_reference| CustomProcessor { payment_reference }),
        customer_details: None,
        customer_presence: None,
        description: Some("Entered by hand in the Dashboard".into()),
        shipping_details: None,
        metadata: Metadata::new(),
    };
    let records = stripe.payment_records();
    let refund_by_hand = ReportRefund {
        amount: Some(Amount::new("jpy", 100)),
        refund_reference: "demo-dashboard-refund".into(),
        refunded_at: now,
        initiated_at: None,
        metadata: Metadata::new(),
    };
    records.report_refund(&refund.record_id, &refund_by_hand, &key("refund")?).await.map_err(|e| e.to_string())?;
    records.report_payment(&by_hand(duplicate.fiat_amount, Some(duplicate.transaction_id.clone())), &key("duplicate")?).await.map_err(|e| e.to_string())?;
    records.report_payment(&by_hand(1_500, None), &key("orphan")?).await.map_err(|e| e.to_string())?;

    let demo = Actor { user_id: None, label: "demo".into(), ip: None };
    Reconciler::new(db, Some(stripe), std::time::Duration::ZERO).run(&demo, true).await.map(|_| ()).map_err(|e| e.to_string())
}

/// Demo billing: the first three members linked to Stripe customers; an invoice collected from
/// the first one's wallet (paid), one finalized for the second (open), a draft for the third.
/// Made through the same services and workers as an administrator's clicks.
pub async fn stage_billing(db: Db, stripe: StripeClient) -> Result<(), String> {
    let demo = Actor { user_id: None, label: "demo".into(), ip: None };
    // The demo's customers live on a test clock the subscriptions page can move a month ahead.
    billing::clock::start(&db, &stripe).await?;
    let mut members = Vec::new();
    for (i, name) in MEMBERS.iter().enumerate().take(3) {
        let account = accounts_rows::find_by_external_ref(&db, &member_ref(i)).await.map_err(|e| e.to_string())?.ok_or("a demo member is missing")?;
        let email = format!("{}@example.jp", name.split(' ').next().unwrap_or("member").to_lowercase());
        billing::create_customer(&db, Some(&stripe), &demo, &account.id, Some(email)).await.map_err(|e| e.to_string())?;
        members.push(account.id);
    }
    for id in &members {
        let linked = || async { accounts_rows::find(&db, id).await.ok().flatten().and_then(|a| a.stripe_customer_id) };
        wait_for("a demo customer", linked).await?;
    }
    let due = (time::OffsetDateTime::now_utc().date() + time::Duration::days(14)).to_string();
    let line = |description: &str, quantity: u32, unit: u32| LineInput {
        description: description.into(),
        quantity: quantity.to_string(),
        unit_amount: unit.to_string(),
    };
    let invoices = [
        (&members[0], vec![line("Membership, November", 1, 1_000), line("Printed newsletter", 2, 150)]),
        (&members[1], vec![line("Market stall, Saturday", 1, 2_500)]),
        (&members[2], vec![line("Membership, December", 1, 1_000)]),
    ];
    let mut made = Vec::new();
    for (account_id, lines) in invoices {
        let input = billing::NewInvoice {
            account_id: account_id.clone(),
            currency: "SRB".into(),
            lines,
            due_date: due.clone(),
            memo: "Thank you for supporting the town.".into(),
        };
        made.push(billing::create_invoice(&db, &demo, &input).await.map_err(|e| e.to_string())?);
    }
    for id in &made[..2] {
        let created = || async { billing::invoice_detail(&db, None, Role::Viewer, id).await.ok().filter(|d| d.invoice.stripe_id.is_some()) };
        wait_for("a demo invoice in Stripe", created).await?;
        billing::invoice_action(&db, &demo, id, InvoiceAction::Finalize).await.map_err(|e| e.to_string())?;
    }
    let open = || async { billing::invoice_detail(&db, None, Role::Viewer, &made[0]).await.ok().filter(|d| d.invoice.status == InvoiceStatus::Open) };
    wait_for("the demo invoice to open", open).await?;
    billing::collect(&db, &demo, &made[0]).await.map_err(|e| e.to_string())?;
    stage_subscriptions(&db, &demo, &members).await
}

/// Two plans, two members subscribed whose wallets pay each month, and a yearly pass the third
/// member's wallet cannot cover, so it waits for funds.
async fn stage_subscriptions(db: &Db, demo: &Actor, members: &[String]) -> Result<(), String> {
    let fail = |e: AppError| e.to_string();
    let monthly = plans::create_plan(db, demo, "Monthly membership", "SRB", "1000", PlanInterval::Month).await.map_err(fail)?;
    let pass = plans::create_plan(db, demo, "Bus pass, yearly", "SRB", "250000", PlanInterval::Year).await.map_err(fail)?;
    for (member, plan) in members.iter().zip([&monthly, &monthly, &pass]) {
        plans::subscribe(db, demo, member, plan, "1", "").await.map_err(fail)?;
    }
    Ok(())
}

/// Polls `check` every 200 ms for up to a minute.
async fn wait_for<T, F: std::future::Future<Output = Option<T>>>(what: &str, check: impl Fn() -> F) -> Result<T, String> {
    for _ in 0..300 {
        if let Some(found) = check().await {
            return Ok(found);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(format!("demo: gave up waiting for {what}"))
}

#[cfg(test)]
mod tests {
    use super::refuse_live_key;
    use crate::server::config::Config;

    fn config(demo: bool, key: Option<&str>) -> Config {
        let mut config = Config::for_bench("sqlite::memory:", "127.0.0.1:0".parse().expect("addr")).expect("config");
        config.demo = demo;
        config.stripe_secret_key = key.map(String::from);
        config
    }

    #[test]
    fn demo_mode_refuses_a_live_stripe_key() {
        let refused = refuse_live_key(&config(true, Some("sk_live_abc123"))).expect_err("a live key in demo mode");
        assert!(refused.contains("sk_live_"), "{refused}");
        assert!(refuse_live_key(&config(true, Some("sk_test_abc123"))).is_ok());
        assert!(refuse_live_key(&config(true, None)).is_ok());
        assert!(refuse_live_key(&config(false, Some("sk_live_abc123"))).is_ok(), "outside demo mode a live key is the point");
    }
}
