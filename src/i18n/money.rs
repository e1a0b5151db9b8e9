//! Accounts, a transaction's page and refunds.

use crate::domain::ledger::{AccountKind, AccountStatus, AttemptOutcome, Source, TimelineWhat, TransactionKind};
use crate::domain::locale::Locale;
use crate::domain::refunds::{RefundReason, RefundStage, RefundStripeLine};

texts! { Money {
    // The accounts list.
    search: "Search", "検索";
    search_placeholder: "name or reference starts with", "名前または口座番号（前方一致）";
    status: "Status", "状態";
    no_accounts_match: "No accounts match these filters.", "条件に合う口座はありません。";
    no_accounts_yet: "No accounts yet. Admins open them here; the payment system opens them through POST /api/v1/accounts.", "口座はまだありません。管理者はこのページで開設できます。決済システムからは POST /api/v1/accounts で開設されます。";
    name: "Name", "名前";
    account_ref: "Reference", "口座番号";
    balance: "Balance", "残高";
    next: "Next →", "次へ →";
    first_page: "First page", "最初のページ";
    open_an_account: "Open an account", "口座の開設";
    display_name: "Display name", "表示名";
    account_ref_placeholder: "its id in the payment system", "決済システムでの ID";
    open_account: "Open account", "口座を開設";
    opened: "Opened {}.", "「{}」の口座を開設しました。";
    account_kind_member: "member", "会員";
    account_kind_merchant: "merchant", "加盟店";
    account_kind_operator: "operator", "運営者";
    account_status_active: "active", "有効";
    account_status_frozen: "frozen", "凍結中";
    account_status_closed: "closed", "解約済み";

    // An account's page and its statement.
    back_to_accounts: "← Accounts", "← 口座一覧";
    stripe_customer: "Stripe customer", "Stripe 顧客";
    none: "none", "なし";
    freeze_account: "Freeze account", "口座を凍結";
    freeze_consequence: "no payment, redemption or other debit will leave this account until it is unfrozen.", "凍結を解除するまで、この口座からは支払い・換金などの出金が一切できなくなります。";
    unfreeze_account: "Unfreeze account", "凍結を解除";
    unfreeze_consequence: "this account can be debited again.", "この口座から再び出金できるようになります。";
    account_closed: "This account is closed; its status cannot change.", "この口座は解約済みのため、状態を変更できません。";
    i_understand: "I understand: ", "確認しました：";
    account_now: "The account is now {}.", "口座の状態を「{}」に変更しました。";
    statement: "Statement", "取引明細";
    statement_period: "Statement period", "対象期間";
    show: "Show", "表示";
    print: "Print", "印刷";
    statement_printed: "Statement {} – {} (UTC)", "取引明細 {}〜{}（UTC）";
    nothing_on_account: "Nothing on this account up to the end of this period.", "この期間の末日までに、この口座の取引はありません。";
    opening_balance: "Opening balance ({})", "期首残高（{}）";
    money_in: "Money in", "入金";
    money_out: "Money out", "出金";
    closing_balance: "Closing balance ({})", "期末残高（{}）";
    no_entries: "No entries in this period.", "この期間の明細はありません。";
    when_utc: "When (UTC)", "日時（UTC）";
    transaction: "Transaction", "取引";
    counterparty: "Counterparty", "相手先";
    description: "Description", "摘要";
    start_of_period: "← Start of period", "← 期間の最初へ";
    later: "Later →", "さらに新しいもの →";
    recorded: "recorded {}", "記録：{}";

    // A transaction's page.
    back_to_transactions: "← Transactions", "← 取引一覧";
    occurred: "Occurred", "発生日時";
    fiat_reported: "Fiat reported", "報告した法定通貨額";
    not_mirrored: "not mirrored", "Stripe 反映対象外";
    id: "Id", "ID";
    refunds_corrects: "Refunds / corrects", "返金・訂正の対象";
    entries: "Entries", "仕訳";
    open_in_dashboard: "Open in the Stripe Dashboard ↗", "Stripe ダッシュボードで開く ↗";
    attempt_records: "Payment attempt records", "Payment Attempt Record 一覧";
    created: "Created", "作成日時";
    failed: "Failed", "失敗額";
    canceled: "Canceled", "キャンセル額";
    refund_transactions: "Refund transactions", "返金取引";
    timeline: "Timeline", "経過";
    test_mode: " (test mode)", "（テストモード）";
    requested_amount: "Requested", "要求額";
    payment_method: "Payment method", "決済手段";
    payment_reference: "Payment reference", "決済の参照番号";
    customer: "Customer", "顧客";
    reported_by: "Reported by", "報告元";
    metadata: "Metadata", "メタデータ";
    delivery_to_stripe: "Delivery to Stripe ", "Stripe への送信 ";
    idempotency_key: " · idempotency key ", " · Idempotency-Key ";
    send_again: "Send it to Stripe again (same idempotency key: no duplicate)", "Stripe にもう一度送信する（同じ Idempotency-Key のため重複しません）";
    retry_delivery: "Retry delivery", "再送信";
    queued_again: "Queued again.", "再送信を予約しました。";
    no_attempt_yet: "No attempt yet.", "まだ送信していません。";
    outcome: "Outcome", "結果";
    error: "Error", "エラー";
    worker: "Worker", "ワーカー";
    stripe_not_told: "Stripe is not told: {} is worth nothing in {} after rounding.", "Stripe には報告しません：{} は丸めると {} で 0 になります。";
    stripe_reported: "report_refund of {} on {}, its refund_reference the refund transaction's id.", "{1} に {0} の report_refund を送信します（refund_reference は返金取引の ID）。";
    stripe_reported_later: "report_refund of {} on the payment's Payment Record, once Stripe has it: the refund waits in the outbox behind the payment.", "支払いの Payment Record が Stripe に届いた後、{} の report_refund を送信します（返金は送信待ちの列で支払いの後に並びます）。";
    stripe_credit_note: "A credit note on {} linking that refund (payment_record_refund), so the invoice shows it.", "{} にその返金を結び付けるクレジットノート（payment_record_refund）を作成し、請求書に表示されるようにします。";
    timeline_occurred: "{} occurred (from {})", "{}が発生（登録元：{}）";
    source_api: "the API", "API";
    source_csv: "a CSV import", "CSVインポート";
    source_demo: "demo data", "デモデータ";
    source_console: "the console", "管理画面";
    timeline_delivery: "Stripe delivery: {}", "Stripe への送信：{}";
    attempt_delivered: "delivered", "完了";
    attempt_retry: "to be retried", "再試行予定";
    attempt_failed: "failed", "失敗";

    // The refunds queue.
    stage: "Stage", "状態";
    reason: "Reason", "理由";
    requested_from: "Requested from", "申請日（開始）";
    requested_to: "to", "申請日（終了）";
    account_placeholder: "member or merchant reference", "会員または加盟店の口座番号";
    export_csv: "Export CSV", "CSV をエクスポート";
    no_refund_matches: "No refund matches these filters.", "条件に合う返金はありません。";
    no_refunds_yet: "No refunds yet. A payment's page has the Refund button.", "返金はまだありません。返金は支払いの取引ページにある「返金」ボタンから行えます。";
    refund_count: "{} refund(s)", "返金 {} 件";
    requested: "Requested", "申請日時";
    payment: "Payment", "支払い";
    merchant: "Merchant", "加盟店";
    paid_by: "Paid by", "負担者";
    source: "Source", "登録元";
    requested_by: "Requested by", "申請者";
    decided_by: "Decided by", "決裁者";
    payer_merchant: "merchant", "加盟店";
    payer_operator: "operator (goodwill)", "運営者負担（特別対応）";
    awaiting_approval: "Awaiting approval", "承認待ち";
    decided: "{}: {}.", "{} の返金：{}。";
    withdrawn: "Withdrawn: {}.", "{} の返金申請を取り下げました。";
    nothing_awaits: "Nothing awaits approval.", "承認待ちの返金はありません。";
    all_awaiting: "All refunds awaiting approval →", "承認待ちの返金をすべて表示 →";
    withdraw_request: "Withdraw my request", "申請を取り下げる";
    note_optional: "Note (optional)", "メモ（任意）";
    post_it: "Post it: the ledger moves and Stripe is told", "計上します（台帳に記帳し、Stripe に報告します）";
    approve: "Approve", "承認";
    why_rejected: "Why it is rejected (required)", "却下の理由（必須）";
    reject: "Reject", "却下";
    fiat_for: " ({}) for ", "（{}）· 返金対象の支払い：";
    operator_goodwill: " (operator goodwill)", "（運営者負担・特別対応）";
    no_reason: "No reason", "理由なし";
    with_note: ": {}", "：{}";
    asked_by: " · asked by {} at {}", " · 申請者 {}（{}）";
    expires: " · expires {}", " · 期限 {}";
    stage_pending_approval: "Pending approval", "承認待ち";
    stage_rejected: "Rejected", "却下";
    stage_withdrawn: "Withdrawn", "取り下げ";
    stage_expired: "Expired", "期限切れ";
    stage_posted: "Posted, on its way to Stripe", "計上済み（Stripe へ送信中）";
    stage_reported: "Reported to Stripe", "Stripe に報告済み";
    stage_stripe_failed: "Stripe failed", "Stripe への送信失敗";
    reason_requested_by_customer: "Requested by the customer", "顧客からの依頼";
    reason_duplicate: "Duplicate payment", "二重支払い";
    reason_fraudulent: "Fraudulent", "不正利用";
    reason_merchant_error: "Merchant error", "加盟店の誤り";
    reason_other: "Other", "その他";

    // The refund panel of a payment.
    at_most_left: "at most {} is left to refund", "返金できるのは残り {} までです";
    rate_unreadable: "the payment's rate ({}) is unreadable", "支払い時のペッグレート（{}）を読み取れません";
    too_large: "the amount is too large", "金額が大きすぎます";
    refund_of: "Refund of {}: {}.", "{} の返金：{}。";
    approval_above: "refunds above {} wait for an admin's approval", "{} を超える返金は管理者の承認が必要です";
    approval_not_needed: "not needed in this currency", "この通貨では不要";
    reserved: "Reserved", "保留額";
    awaiting_approval_note: " (awaiting approval)", "（承認待ち）";
    left_to_refund: "Left to refund", "返金可能な残額";
    approval: "Approval", "承認";
    invoice: "Invoice", "請求書";
    invoice_credited: " (a refund also credits it)", "（返金額はこの請求書にもクレジットとして反映されます）";
    nothing_left: "Nothing is left to refund.", "返金できる残額はありません。";
    refund_needs_role: "Refunding needs the support or admin role.", "返金にはサポートまたは管理者の役割が必要です。";
    refund: "Refund", "返金";
    who_pays: "Who pays it back", "返金の負担者";
    the_merchant: "The merchant ({})", "加盟店（{}）";
    the_operator: "The operator, as goodwill", "運営者負担（特別対応）";
    merchant_pays: "The merchant ({}) pays it back.", "加盟店（{}）が負担します。";
    refund_this_payment: "Refund this payment", "この支払いを返金";
    amount_in: "Amount ({})", "金額（{}）";
    note_for_other: "Note (required for “Other”)", "メモ（「その他」の場合は必須）";
    review: "Review", "確認";
    above: " (above {})", "（{} 超）";
    needs_approval: "Needs approval", "承認が必要";
    will_wait: "{}: this refund will wait for an admin to approve it. Nothing moves until then.", "{}：この返金は管理者の承認を待ちます。承認されるまで、台帳にも Stripe にも反映されません。";
    review_heading: "Review: ", "確認：";
    nothing_moved: "Nothing has moved yet.", "まだ何も反映されていません。";
    send_for_approval: "Send this refund for approval", "この返金を承認に回す";
    refund_now_confirm: "Refund this amount now: the ledger moves and Stripe is told", "この金額を今すぐ返金します（台帳に記帳し、Stripe に報告します）";
    request_approval: "Request approval", "承認を申請";
    refund_now: "Refund now", "今すぐ返金";

    // An account's Stripe customer.
    open_invoices: "Open invoices", "未払いの請求書";
    unlink_confirm: "Unlink (the customer stays in Stripe)", "紐付けを解除する（顧客は Stripe に残ります）";
    unlink: "Unlink", "紐付けを解除";
    creating_customer: "Creating the customer in Stripe…", "Stripe に顧客を作成しています…";
    not_linked: "Not linked to a Stripe customer.", "Stripe 顧客と紐付けられていません。";
    not_linked_admin: "Not linked: link a Stripe customer to invoice this member and collect from their wallet.", "未紐付けです。この会員に請求してウォレットから回収するには、Stripe 顧客と紐付けてください。";
    create_customer_heading: "Create a Stripe customer", "Stripe 顧客を作成";
    email_optional: "Email (optional)", "メールアドレス（任意）";
    create_as: "Create it in Stripe as {}", "「{}」として Stripe に作成する";
    create_customer: "Create customer", "顧客を作成";
    attach_heading: "Attach an existing customer", "既存の顧客を紐付け";
    customer_id: "Customer id", "顧客 ID";
    attach: "Attach", "紐付ける";
    stripe_call_failed: "A Stripe call failed: {}", "Stripe の呼び出しに失敗しました：{}";
    awaiting_funds: "Awaiting funds: ", "残高不足：";
    an_invoice: "an invoice", "請求書";
    needs_more: " needs {} more ({} due). ", " の支払いに {} 不足しています（請求額 {}）。";
}}

/// An account kind as the page's language names it (in English, its code as always shown).
pub fn account_kind_name(m: &'static Money, kind: AccountKind) -> &'static str {
    match kind {
        AccountKind::Member => m.account_kind_member,
        AccountKind::Merchant => m.account_kind_merchant,
        AccountKind::Operator => m.account_kind_operator,
    }
}

/// An account status as the page's language names it (in English, its code as always shown).
pub fn account_status_name(m: &'static Money, status: AccountStatus) -> &'static str {
    match status {
        AccountStatus::Active => m.account_status_active,
        AccountStatus::Frozen => m.account_status_frozen,
        AccountStatus::Closed => m.account_status_closed,
    }
}

/// A refund's stage as the page's language says it.
pub fn stage_name(m: &'static Money, stage: RefundStage) -> &'static str {
    match stage {
        RefundStage::PendingApproval => m.stage_pending_approval,
        RefundStage::Rejected => m.stage_rejected,
        RefundStage::Withdrawn => m.stage_withdrawn,
        RefundStage::Expired => m.stage_expired,
        RefundStage::Posted => m.stage_posted,
        RefundStage::Reported => m.stage_reported,
        RefundStage::StripeFailed => m.stage_stripe_failed,
    }
}

/// Why a refund is made, as the page's language says it.
pub fn reason_name(m: &'static Money, reason: RefundReason) -> &'static str {
    match reason {
        RefundReason::RequestedByCustomer => m.reason_requested_by_customer,
        RefundReason::Duplicate => m.reason_duplicate,
        RefundReason::Fraudulent => m.reason_fraudulent,
        RefundReason::MerchantError => m.reason_merchant_error,
        RefundReason::Other => m.reason_other,
    }
}

/// A transaction kind on these pages: in English its code as they always showed it, in Japanese
/// its name.
pub fn kind_text(locale: Locale, kind: TransactionKind) -> &'static str {
    match locale {
        Locale::En => kind.as_str(),
        Locale::Ja => super::kind_name(super::texts(locale), kind),
    }
}

/// How a delivery attempt ended, as the page's language says it.
pub fn attempt_name(m: &'static Money, outcome: AttemptOutcome) -> &'static str {
    match outcome {
        AttemptOutcome::Delivered => m.attempt_delivered,
        AttemptOutcome::Retry => m.attempt_retry,
        AttemptOutcome::Failed => m.attempt_failed,
    }
}

/// Where a transaction entered Regio, as the page's language says it.
pub fn source_name(m: &'static Money, source: Source) -> &'static str {
    match source {
        Source::Api => m.source_api,
        Source::Csv => m.source_csv,
        Source::Demo => m.source_demo,
        Source::Console => m.source_console,
    }
}

/// What Stripe will be told of a refund, in `locale`.
pub fn refund_stripe_text(locale: Locale, line: &RefundStripeLine) -> String {
    let m = <Money as super::TextGroup>::of(locale);
    match line {
        RefundStripeLine::NotTold { amount, fiat_currency } => super::fill(m.stripe_not_told, &[amount, fiat_currency]),
        RefundStripeLine::Reported { fiat, record } => super::fill(m.stripe_reported, &[fiat, record]),
        RefundStripeLine::ReportedOnceRecorded { fiat } => super::fill(m.stripe_reported_later, &[fiat]),
        RefundStripeLine::CreditNote { invoice } => super::fill(m.stripe_credit_note, &[invoice]),
    }
}

/// One line of a transaction's timeline in `locale`.
pub fn timeline_text(locale: Locale, what: &TimelineWhat) -> String {
    let m = <Money as super::TextGroup>::of(locale);
    match what {
        TimelineWhat::Occurred { kind, source } => super::fill(m.timeline_occurred, &[kind_text(locale, *kind), source_name(m, *source)]),
        TimelineWhat::Delivery { outcome, error } => {
            let line = super::fill(m.timeline_delivery, &[attempt_name(m, *outcome)]);
            match error {
                Some(error) => format!("{line} ({error})"),
                None => line,
            }
        }
        TimelineWhat::Correction { kind, amount, currency, external_ref } => {
            format!("{} {amount} {currency} ({external_ref})", kind_text(locale, *kind))
        }
    }
}

/// The text before and after a template's one `{}`, for a blank that is a link or markup.
pub fn around(template: &'static str) -> (&'static str, &'static str) {
    template.split_once("{}").unwrap_or((template, ""))
}
