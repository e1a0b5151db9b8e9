//! Errors as the page's language says them: the frame of each kind of error, and the names of
//! the fields a refused form names.

use crate::domain::AppError;
use crate::domain::locale::Locale;

texts! { Errors {
    sign_in: "Please sign in.", "サインインしてください。";
    credentials: "The email or password is not right.", "メールアドレスまたはパスワードが正しくありません。";
    forbidden: "Your role does not allow this.", "この操作はあなたの役割では許可されていません。";
    not_found: "Not found: {}.", "見つかりません：{}。";
    too_many: "Too many requests: try again in a moment.", "リクエストが多すぎます。しばらくしてからもう一度お試しください。";
    internal: "Something went wrong on our side. It has been logged.", "サーバー側で問題が発生しました。記録済みです。";
    request: "The request could not be completed: {}", "リクエストを完了できませんでした：{}";
    field_says: "{}: {}", "{}：{}";
    field_account: "account", "口座";
    field_amount: "amount", "金額";
    field_currency: "currency", "通貨";
    field_confirm: "confirmation", "確認";
    field_customer: "Stripe customer", "Stripe の顧客";
    field_email: "email", "メールアドレス";
    field_file: "file", "ファイル";
    field_name: "name", "名前";
    field_note: "note", "メモ";
    field_password: "password", "パスワード";
    field_plan: "plan", "プラン";
    field_quantity: "quantity", "数量";
    field_reason: "reason", "理由";
    field_remark: "remark", "コメント";
    field_role: "role", "役割";
    field_transaction: "transaction", "取引";
    field_payment: "payment", "支払い";
    field_status: "status", "状態";
    field_lines: "lines", "明細";
    field_kind: "kind", "種類";
    field_retry_days: "retry days", "再試行日";
    field_threshold: "approval threshold", "承認のしきい値";
    field_peg_rate: "peg rate", "固定レート";
    field_code: "code", "コード";
    field_exponent: "decimal places", "小数点以下の桁数";
    field_fiat_currency: "fiat currency", "法定通貨";
    field_payment_method_type: "payment method type", "決済手段タイプ";
    field_payment_method_name: "payment method name", "決済手段名";
    field_due_date: "due date", "支払期日";
    field_starts_on: "start date", "開始日";
    field_interval: "interval", "間隔";
    field_memo: "memo", "メモ";
    field_display_name: "display name", "表示名";
    field_decision: "decision", "判断";
    field_from: "from", "開始日";
    field_to: "to", "終了日";
}}

/// A form field's name in `locale`, for the fields forms name when they refuse something.
fn field_label(e: &'static Errors, field: &str) -> Option<&'static str> {
    Some(match field {
        "account_id" | "accounts" | "payer" => e.field_account,
        "amount" => e.field_amount,
        "currency" => e.field_currency,
        "confirm" => e.field_confirm,
        "customer" => e.field_customer,
        "email" => e.field_email,
        "file" => e.field_file,
        "name" => e.field_name,
        "note" => e.field_note,
        "password" => e.field_password,
        "plan_id" => e.field_plan,
        "quantity" => e.field_quantity,
        "reason" => e.field_reason,
        "remark" => e.field_remark,
        "role" => e.field_role,
        "transaction_id" => e.field_transaction,
        "payment_id" => e.field_payment,
        "status" | "state" => e.field_status,
        "lines" => e.field_lines,
        "kind" => e.field_kind,
        "retry_days" => e.field_retry_days,
        "threshold" => e.field_threshold,
        "peg_rate" => e.field_peg_rate,
        "code" => e.field_code,
        "exponent" => e.field_exponent,
        "fiat_currency" => e.field_fiat_currency,
        "payment_method_type" => e.field_payment_method_type,
        "payment_method_name" => e.field_payment_method_name,
        "due_date" => e.field_due_date,
        "starts_on" => e.field_starts_on,
        "interval" => e.field_interval,
        "memo" => e.field_memo,
        "display_name" => e.field_display_name,
        "decision" => e.field_decision,
        // Only a statement's period names these fields: its first and last day.
        "from" => e.field_from,
        "to" => e.field_to,
        _ => return None,
    })
}

/// `error` as a person reading `locale` should see it.
pub fn error_text(locale: Locale, error: &AppError) -> String {
    let e = <Errors as super::TextGroup>::of(locale);
    match error {
        AppError::Unauthenticated => e.sign_in.into(),
        AppError::InvalidCredentials => e.credentials.into(),
        AppError::Forbidden => e.forbidden.into(),
        AppError::Validation { field, message } => match field_label(e, field) {
            Some(label) => super::fill(e.field_says, &[label, message.in_locale(locale)]),
            // A field with no name of its own here reads by its English key only in English.
            None if locale == Locale::En => format!("{field}: {}", message.in_locale(locale)),
            None => message.in_locale(locale).to_string(),
        },
        AppError::NotFound { what } => super::fill(e.not_found, &[what]),
        AppError::Conflict { message } => message.in_locale(locale).to_string(),
        AppError::TooManyRequests { message, .. } => match locale {
            Locale::En => message.clone(),
            Locale::Ja => e.too_many.into(),
        },
        AppError::Internal => e.internal.into(),
        AppError::Request { message } => super::fill(e.request, &[message]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::say;

    #[test]
    fn errors_read_in_the_readers_language() {
        let refused = AppError::validation("reason", say!("say why", "理由を書いてください"));
        assert_eq!(error_text(Locale::En, &refused), "reason: say why");
        assert_eq!(error_text(Locale::Ja, &refused), "理由：理由を書いてください");
        let conflict = AppError::conflict(say!("{} is closed", "{}は解約済みです", "Aiko"));
        assert_eq!((error_text(Locale::En, &conflict), error_text(Locale::Ja, &conflict)), ("Aiko is closed".into(), "Aikoは解約済みです".into()));
        let english_only = AppError::validation("q", "search for at most 200 characters");
        assert_eq!(error_text(Locale::Ja, &english_only), "search for at most 200 characters");
        assert_eq!(error_text(Locale::Ja, &AppError::InvalidCredentials), "メールアドレスまたはパスワードが正しくありません。");
    }

    #[test]
    fn a_word_given_in_each_language_reads_in_each() {
        let status = "void";
        let refused = say!("The invoice is {}", "請求書の状態は「{}」です"; status => "無効");
        assert_eq!((refused.in_locale(Locale::En), refused.in_locale(Locale::Ja)), ("The invoice is void", "請求書の状態は「無効」です"));
    }

    #[test]
    fn the_english_frames_match_what_the_server_logs() {
        for error in [AppError::Unauthenticated, AppError::InvalidCredentials, AppError::Forbidden, AppError::Internal] {
            assert_eq!(error_text(Locale::En, &error), error.to_string());
        }
    }
}
