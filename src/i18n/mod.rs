//! The console's texts in English and Japanese. Each text is written once with both languages
//! side by side, so a text missing in either language does not compile; `{}` marks where a
//! value goes, filled in order by [`fill`].

use crate::domain::ledger::{MirrorState, TransactionKind};
use crate::domain::locale::Locale;
use leptos::prelude::*;

/// Declares a group of texts: a struct of `&'static str` named `$group`, its English and
/// Japanese values, and (in tests) `ALL`, every key with both values for the completeness test.
macro_rules! texts {
    ($group:ident { $($key:ident: $en:literal, $ja:literal;)+ }) => {
        /// Texts of the console in one language.
        pub struct $group {
            $(pub $key: &'static str,)+
        }

        impl $crate::i18n::TextGroup for $group {
            fn of(locale: $crate::domain::locale::Locale) -> &'static Self {
                const EN: $group = $group { $($key: $en,)+ };
                const JA: $group = $group { $($key: $ja,)+ };
                match locale {
                    $crate::domain::locale::Locale::En => &EN,
                    $crate::domain::locale::Locale::Ja => &JA,
                }
            }
        }

        #[cfg(test)]
        pub(crate) const ALL: &[(&str, &str, &str)] = &[$((stringify!($key), $en, $ja)),+];
    };
}

/// The pages' own texts, a group each, so each page's texts sit in one short file.
pub mod admin;
pub mod billing;
pub mod errors;
pub mod money;
pub mod recon;

/// A group of texts declared by `texts!`.
pub trait TextGroup: 'static {
    fn of(locale: Locale) -> &'static Self;
}

/// The page's texts of group `G`.
pub fn use_texts_of<G: TextGroup>() -> &'static G {
    G::of(use_locale())
}

texts! { Texts {
    // The frame around every page.
    nav_dashboard: "Dashboard", "ダッシュボード";
    nav_transactions: "Transactions", "取引";
    nav_import: "Import", "インポート";
    nav_reconciliation: "Reconciliation", "照合";
    nav_refunds: "Refunds", "返金";
    nav_billing: "Billing", "請求";
    nav_accounts: "Accounts", "口座";
    nav_users: "Users", "ユーザー";
    nav_audit: "Audit", "監査ログ";
    nav_settings: "Settings", "設定";
    nav_sections: "Sections", "メニュー";
    search_placeholder: "Search transactions ( / )", "取引を検索 ( / )";
    search_label: "Search transactions", "取引を検索";
    sign_out: "Sign out", "ログアウト";
    role_admin: "admin", "管理者";
    role_support: "support", "サポート";
    role_viewer: "viewer", "閲覧者";
    refunds_awaiting_title: "{} refund(s) awaiting approval", "承認待ちの返金 {} 件";
    language: "Language", "表示言語";
    time_zone: "Time zone", "タイムゾーン";
    preferences: "Language and time zone", "表示言語とタイムゾーン";
    save: "Save", "保存";
    not_found: "This page does not exist.", "このページは存在しません。";
    loading: "Loading…", "読み込み中…";
    keys_title: "Keyboard shortcuts", "キーボードショートカット";
    key_next_row: "Next row of the list", "一覧の次の行へ";
    key_previous_row: "Previous row of the list", "一覧の前の行へ";
    key_open_row: "Open the row", "その行を開く";
    key_help: "Show these keys", "このキー一覧を表示";
    close: "Close", "閉じる";

    // What several pages share.
    any: "any", "すべて";
    filter: "Filter", "絞り込む";
    clear: "Clear", "クリア";
    download_csv: "Download CSV", "CSV をダウンロード";
    older: "Older →", "さらに古いもの →";
    newest: "Newest", "最新";
    access_refused: "Access refused", "アクセスできません";
    access_refused_why: "Your role does not allow this page. Ask an admin if you need it.", "現在の役割ではこのページを表示できません。必要な場合は管理者に依頼してください。";
    signed_out: "Signed out", "ログアウトしました";
    session_ended: "Your session has ended.", "セッションが終了しました。";
    sign_in_again: "Sign in again", "もう一度ログイン";
    min_amount: "Min amount", "最小金額";
    max_amount: "Max amount", "最大金額";
    currency_code: "code", "コード";
    currency_why: "The currency amounts are in (needed with several currencies)", "金額の通貨（複数の通貨があるときに指定）";
    kind_top_up: "top-up", "チャージ";
    kind_payment: "payment", "支払い";
    kind_refund: "refund", "返金";
    kind_redemption: "redemption", "換金";
    kind_adjustment: "adjustment", "調整";
    kind_invoice_payment: "invoice payment", "請求書の支払い";
    mirror_not_mirrored: "not mirrored", "対象外";
    mirror_pending: "pending", "送信待ち";
    mirror_delivered: "delivered", "反映済み";
    mirror_failed: "failed", "失敗";

    // Reconciliation.
    class_missing_in_stripe: "Missing in Stripe", "Stripe に記録なし";
    class_orphan_in_stripe: "Orphan in Stripe", "Stripe にのみ記録あり";
    class_amount_mismatch: "Amount mismatch", "金額の不一致";
    class_currency_mismatch: "Currency mismatch", "通貨の不一致";
    class_refund_mismatch: "Refund mismatch", "返金の不一致";
    class_status_mismatch: "Status mismatch", "状態の不一致";
    class_duplicate_in_stripe: "Duplicate in Stripe", "Stripe で重複";
    class_customer_mismatch: "Customer mismatch", "顧客の不一致";
    class_invoice_mismatch: "Invoice mismatch", "請求書の不一致";
    why_missing_in_stripe: "The ledger settled this payment, but Stripe has no Payment Record for it after the grace period.", "台帳では決済済みですが、猶予期間を過ぎても Stripe にこの支払いの Payment Record がありません。";
    why_orphan_in_stripe: "Stripe has a Payment Record in the currency's payment method that no ledger transaction accounts for.", "この通貨の決済手段による Payment Record が Stripe にありますが、対応する台帳の取引がありません。";
    why_amount_mismatch: "The amount Stripe recorded differs from the ledger's amount converted at its peg rate.", "Stripe に記録された金額が、台帳の金額をペッグレートで換算した額と異なります。";
    why_currency_mismatch: "Stripe recorded the payment in another currency than the one the local currency is pegged to.", "Stripe では、地域通貨のペッグ先とは別の通貨で記録されています。";
    why_refund_mismatch: "The amount refunded in Stripe differs from the refunds in the ledger.", "Stripe での返金額が台帳の返金と異なります。";
    why_status_mismatch: "Stripe shows the payment failed or canceled, while the ledger has it settled.", "台帳では決済済みですが、Stripe では失敗またはキャンセルになっています。";
    why_duplicate_in_stripe: "Stripe has more than one Payment Record for one ledger transaction.", "台帳の1件の取引に対して、Stripe に複数の Payment Record があります。";
    why_customer_mismatch: "The record's Stripe customer is not the customer of the paying account.", "記録の Stripe 顧客が、支払った口座の顧客と一致しません。";
    why_invoice_mismatch: "The ledger paid an invoice in local currency, but Stripe's invoice is not paid by this record.", "台帳では請求書が地域通貨で支払われていますが、Stripe の請求書はこの記録による支払いになっていません。";
    age_up_to_one_day: "0–1 days", "0〜1日";
    age_up_to_a_week: "2–7 days", "2〜7日";
    age_up_to_a_month: "8–30 days", "8〜30日";
    age_older: "> 30 days", "30日超";
    case_class: "Class", "種別";
    all: "All", "合計";
    all_classes: "All classes", "すべての種別";
    run_found_none: "none", "なし";
    run_running: "running", "実行中";
    run_succeeded: "succeeded", "成功";
    run_failed: "failed", "失敗";

    // The transactions list.
    from_day: "From", "開始日";
    to_day: "To", "終了日";
    kind: "Kind", "種類";
    account: "Account", "口座";
    account_reference: "reference", "口座番号";
    stripe_filter: "Stripe", "Stripe 反映";
    no_transactions: "No transactions match these filters.", "条件に合う取引はありません。";
    ledger: "Ledger", "台帳";
    when: "When", "日時";
    reference: "Reference", "参照番号";
    from_to: "From → To", "支払元 → 支払先";
    amount: "Amount", "金額";
    fiat: "Fiat", "法定通貨";
    payment_record: "Payment Record", "Payment Record";
    guaranteed: "Guaranteed", "確定額";
    refunded: "Refunded", "返金額";
    as_last_run_read: "As the last reconciliation run read it", "直近の照合で読み取った値";
    mirror: "Mirror", "反映";

    // Signing in.
    sign_in: "Sign in", "ログイン";
    tagline: "Local currency operations, mirrored into Stripe.", "地域通貨の運用を、Stripe にそのまま反映。";
    email: "Email", "メールアドレス";
    password: "Password", "パスワード";

    // The dashboard.
    as_of: "As of {}. Days are UTC days.", "{} 時点。日付は UTC で区切っています。";
    attention: "What needs attention", "対応が必要なもの";
    mirrored_to_stripe: "Mirrored to Stripe", "Stripe への反映率";
    mirrored_note: "{} of {} deliveries in 30 days", "過去30日：{} 件反映済み（全 {} 件中）";
    waiting_for_stripe: "Waiting for Stripe", "Stripe への送信待ち";
    oldest_waits: "oldest waits {}", "最も古いもので{}待ち";
    failed_deliveries: "Failed deliveries", "送信失敗";
    open_cases: "Open reconciliation cases", "未解決の照合ケース";
    refunds_awaiting: "Refunds awaiting approval", "承認待ちの返金";
    invoices_awaiting: "Invoices awaiting funds", "残高不足で未回収の請求書";
    last_run: "Last reconciliation run", "直近の照合";
    no_run_yet: "none yet", "まだありません";
    run_breaks: "{} · {} breaks", "{} · 不一致 {} 件";
    payments: "Payments", "支払い";
    no_payments: "No payments in the last 30 days.", "過去30日間に支払いはありません。";
    currency: "Currency", "通貨";
    period: "Period", "期間";
    local_currency: "Local currency", "地域通貨";
    reported_to_stripe: "Reported to Stripe", "Stripe への報告額";
    today: "Today", "本日";
    last_days: "{} days", "{}日間";
    live_cases: "Live reconciliation cases", "照合ケース（未クローズ）";
    charts: "Charts", "グラフ";
    chart_payments: "Payments per day in {}, last {} days", "{} の日別支払額（過去{}日）";
    chart_payments_desc: "{} in all; the busiest day was {} with {}.", "合計 {}。最も多かったのは {} の {}。";
    chart_payments_none: "No payments in {} in these days.", "この期間に {} の支払いはありません。";
    chart_cases: "Reconciliation cases not closed, at each day's end", "各日の終わりに未クローズだった照合ケース";
    chart_cases_desc: "{} now; the most was {} on {}.", "現在 {} 件。最多は {} 件（{}）。";
    chart_cases_none: "No cases in these days.", "この期間にケースはありません。";
    chart_lag: "Mirror lag: the slowest delivery to Stripe each day", "反映の遅れ：各日で最も時間のかかった Stripe への送信";
    chart_lag_desc: "The slowest delivery took {} on {}.", "最も遅い送信は {}（{}）。";
    chart_lag_none: "No deliveries in these days.", "この期間に送信はありません。";
    seconds: "{} s", "{}秒";
    minutes: "{} min", "{}分";
    hours: "{} h", "{}時間";
    days: "{} days", "{}日";
}}

/// A transaction kind as the page's language names it.
pub fn kind_name(t: &'static Texts, kind: TransactionKind) -> &'static str {
    match kind {
        TransactionKind::TopUp => t.kind_top_up,
        TransactionKind::Payment => t.kind_payment,
        TransactionKind::Refund => t.kind_refund,
        TransactionKind::Redemption => t.kind_redemption,
        TransactionKind::Adjustment => t.kind_adjustment,
        TransactionKind::InvoicePayment => t.kind_invoice_payment,
    }
}

/// Where a mirror stands, as the page's language says it.
pub fn mirror_name(t: &'static Texts, state: MirrorState) -> &'static str {
    match state {
        MirrorState::NotMirrored => t.mirror_not_mirrored,
        MirrorState::Pending => t.mirror_pending,
        MirrorState::Delivered => t.mirror_delivered,
        MirrorState::Failed => t.mirror_failed,
    }
}

/// The texts of `locale`.
pub fn texts(locale: Locale) -> &'static Texts {
    Texts::of(locale)
}

/// `template` with each `{}` replaced by the next of `values`, and each `{0}`..`{9}` by that
/// one, for a language that names things in another order than English.
pub fn fill(template: &str, values: &[&str]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut next = values.iter();
    let mut rest = template;
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        let blank = &rest[at..];
        let (value, taken) = match blank.as_bytes() {
            [b'{', b'}', ..] => (next.next().copied(), 2),
            [b'{', digit @ b'0'..=b'9', b'}', ..] => (values.get(usize::from(digit - b'0')).copied(), 3),
            _ => (Some("{"), 1),
        };
        out.push_str(value.unwrap_or_default());
        rest = &blank[taken..];
    }
    out.push_str(rest);
    out
}

/// How many values `template` takes.
#[cfg(test)]
fn blanks(template: &str) -> usize {
    let numbered = (0..10u8).filter(|n| template.contains(&format!("{{{n}}}"))).map(|n| usize::from(n) + 1).max().unwrap_or(0);
    template.matches("{}").count().max(numbered)
}

/// How long something has waited, as people say it: "45 s", "12 min", "5 h", "3 days".
pub fn age(locale: Locale, ms: i64) -> String {
    let t = texts(locale);
    let seconds = ms.max(0) / 1000;
    let (template, n) = match seconds {
        s if s < 60 => (t.seconds, s),
        s if s < 3600 => (t.minutes, s / 60),
        s if s < 48 * 3600 => (t.hours, s / 3600),
        s => (t.days, s / 86_400),
    };
    fill(template, &[&n.to_string()])
}

/// The language this page is in: on the server, the one the request was given (the user's
/// choice, else the browser's); in the browser, the one the server wrote on `<html lang>`.
pub fn request_locale() -> Locale {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<crate::server::http::caller::Caller>().map(|c| c.locale))
            .unwrap_or(Locale::En)
    }
    #[cfg(not(feature = "ssr"))]
    {
        leptos::prelude::document().document_element().and_then(|html| html.get_attribute("lang")).and_then(|lang| lang.parse().ok()).unwrap_or(Locale::En)
    }
}

/// The time zone this page shows times in (minutes east of UTC), found as `request_locale`
/// finds the language; the server writes it on `<html data-utc-offset>`.
pub fn request_utc_offset() -> i32 {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<crate::server::http::caller::Caller>().map(|c| c.utc_offset))
            .unwrap_or(0)
    }
    #[cfg(not(feature = "ssr"))]
    {
        leptos::prelude::document()
            .document_element()
            .and_then(|html| html.get_attribute("data-utc-offset"))
            .and_then(|offset| offset.parse().ok())
            .unwrap_or(0)
    }
}

/// How the page reads: its language and time zone, provided by `App`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub locale: Locale,
    pub utc_offset: i32,
}

/// The page's language and time zone.
pub fn use_reading() -> Reading {
    use_context::<Reading>().unwrap_or(Reading { locale: Locale::En, utc_offset: 0 })
}

/// The page's language, as `App` provided it.
pub fn use_locale() -> Locale {
    use_reading().locale
}

/// The page's texts.
pub fn use_texts() -> &'static Texts {
    texts(use_locale())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stripe's own names read the same in both languages.
    const SAME_IN_BOTH: [&str; 1] = ["payment_record"];

    #[test]
    fn every_text_is_translated_with_the_same_blanks() {
        let groups = [ALL, admin::ALL, billing::ALL, errors::ALL, money::ALL, recon::ALL];
        for (key, en, ja) in groups.into_iter().flatten() {
            assert!(!en.trim().is_empty() && !ja.trim().is_empty(), "{key} is empty in a language");
            assert!(en != ja || SAME_IN_BOTH.contains(key), "{key} is not translated: {en}");
            assert_eq!(blanks(en), blanks(ja), "{key} has different blanks in English and Japanese");
        }
    }

    #[test]
    fn blanks_fill_in_order() {
        assert_eq!(fill("{} of {} deliveries", &["3", "4"]), "3 of 4 deliveries");
        assert_eq!(fill("no blanks", &["x"]), "no blanks");
        assert_eq!(fill("{} and {}", &["one"]), "one and ");
        assert_eq!(fill("{1}に{0}", &["a", "b"]), "bにa");
        assert_eq!(fill("{x} {", &["a"]), "{x} {");
        assert_eq!((blanks("{1} {0} {2}"), blanks("{} {} {}"), blanks("none")), (3, 3, 0));
    }

    #[test]
    fn a_cases_history_names_events_and_fixes_in_the_language() {
        let r = <recon::Recon as TextGroup>::of(Locale::Ja);
        assert_eq!(recon::case_event_name(r, "opened"), "オープン");
        assert_eq!(recon::case_event_name(r, "ignore"), "無視");
        assert_eq!(recon::case_event_name(r, "something_new"), "something_new");
    }

    #[test]
    fn ages_read_in_both_languages() {
        assert_eq!(age(Locale::En, -5), "0 s");
        assert_eq!(age(Locale::En, 59_999), "59 s");
        assert_eq!(age(Locale::Ja, 12 * 60_000), "12分");
        assert_eq!(age(Locale::En, 47 * 3_600_000), "47 h");
        assert_eq!(age(Locale::Ja, 3 * 86_400_000), "3日");
    }
}
