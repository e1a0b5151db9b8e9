//! The console's texts in English and Japanese. Each text is written once with both languages
//! side by side, so a text missing in either language does not compile; `{}` marks where a
//! value goes, filled in order by [`fill`].

use crate::domain::locale::Locale;
use leptos::prelude::*;

macro_rules! texts {
    ($($key:ident: $en:literal, $ja:literal;)+) => {
        /// Every text of the console in one language.
        pub struct Texts {
            $(pub $key: &'static str,)+
        }

        const EN: Texts = Texts { $($key: $en,)+ };
        const JA: Texts = Texts { $($key: $ja,)+ };

        #[cfg(test)]
        const ALL: &[(&str, &str, &str)] = &[$((stringify!($key), $en, $ja)),+];
    };
}

texts! {
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

    // Signing in.
    sign_in: "Sign in", "ログイン";
    tagline: "Local currency operations, mirrored into Stripe.", "地域通貨の運用を、Stripe にそのまま反映。";
    email: "Email", "メールアドレス";
    password: "Password", "パスワード";

    // The dashboard.
    as_of: "As of {}. Days are UTC days.", "{} 時点。日付は UTC で区切っています。";
    attention: "What needs attention", "対応が必要なもの";
    mirrored_to_stripe: "Mirrored to Stripe", "Stripe への反映率";
    mirrored_note: "{} of {} deliveries in 30 days", "過去30日の送信のうち {} 件（全 {} 件）";
    waiting_for_stripe: "Waiting for Stripe", "Stripe への送信待ち";
    oldest_waits: "oldest waits {}", "最も古いもので {} 待ち";
    failed_deliveries: "Failed deliveries", "送信失敗";
    open_cases: "Open reconciliation cases", "未解決の照合ケース";
    refunds_awaiting: "Refunds awaiting approval", "承認待ちの返金";
    invoices_awaiting: "Invoices awaiting funds", "残高不足で未回収の請求書";
    last_run: "Last reconciliation run", "直近の照合";
    no_run_yet: "none yet", "まだありません";
    run_breaks: "{} · breaks: {}", "{} · 不一致: {}";
    payments: "Payments", "支払い";
    no_payments: "No payments in the last 30 days.", "過去30日間に支払いはありません。";
    currency: "Currency", "通貨";
    period: "Period", "期間";
    local_currency: "Local currency", "地域通貨";
    reported_to_stripe: "Reported to Stripe", "Stripe への報告額";
    today: "Today", "今日";
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
}

/// The texts of `locale`.
pub fn texts(locale: Locale) -> &'static Texts {
    match locale {
        Locale::En => &EN,
        Locale::Ja => &JA,
    }
}

/// `template` with each `{}` replaced by the next of `values`.
pub fn fill(template: &str, values: &[&str]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut values = values.iter();
    let mut rest = template;
    while let Some(at) = rest.find("{}") {
        out.push_str(&rest[..at]);
        out.push_str(values.next().copied().unwrap_or_default());
        rest = &rest[at + 2..];
    }
    out.push_str(rest);
    out
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

    /// Names, product names and codes read the same in both languages.
    const SAME_IN_BOTH: [&str; 0] = [];

    #[test]
    fn every_text_is_translated_with_the_same_blanks() {
        for (key, en, ja) in ALL {
            assert!(!en.trim().is_empty() && !ja.trim().is_empty(), "{key} is empty in a language");
            assert!(en != ja || SAME_IN_BOTH.contains(key), "{key} is not translated: {en}");
            assert_eq!(en.matches("{}").count(), ja.matches("{}").count(), "{key} has different blanks in English and Japanese");
        }
    }

    #[test]
    fn blanks_fill_in_order() {
        assert_eq!(fill("{} of {} deliveries", &["3", "4"]), "3 of 4 deliveries");
        assert_eq!(fill("no blanks", &["x"]), "no blanks");
        assert_eq!(fill("{} and {}", &["one"]), "one and ");
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
