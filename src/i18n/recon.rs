//! Reconciliation: the queue, a case and its fixes.

use crate::domain::recon::{CaseState, FixKind, RecordStatus, RunStatus};

texts! { Recon {
    // What differs on a break (`Differs`): the ledger's side first where both are named.
    differs_no_record: "{} in the ledger, no Payment Record in Stripe", "台帳に {}、Stripe に Payment Record なし";
    differs_no_transaction: "{} in Stripe, no ledger transaction", "Stripe に {}、台帳に取引なし";
    differs_currency: "{} expected, {} in Stripe", "想定は {}、Stripe は {}";
    differs_status: "{} in Stripe, settled in the ledger ({})", "Stripe では{}、台帳では決済済み（{}）";
    differs_amount: "{} in the ledger, {} in Stripe", "台帳は {}、Stripe は {}";
    differs_refunded: "{} refunded in the ledger, {} in Stripe", "返金額は台帳で {}、Stripe で {}";
    differs_customer: "{} in the ledger, {} in Stripe", "台帳は {}、Stripe は {}";
    no_customer: "no customer", "顧客なし";
    differs_duplicate: "{} records carry this payment: {}", "{} 件の記録がこの支払いを表しています：{}";
    differs_invoice_missing: "{} is not in Stripe", "{} は Stripe にありません";
    differs_invoice_paid_by: "{} is paid by {}, not by {}", "{} は {} で支払われており、{} ではありません";
    differs_invoice_status: "{} is {} in Stripe; the ledger paid it with {}", "{} は Stripe では{}ですが、台帳は {} で支払っています";
    record_guaranteed: "guaranteed", "支払い確定";
    record_failed: "failed", "失敗";
    record_canceled: "canceled", "キャンセル";
    record_pending: "pending", "処理中";

    // What a fix will do (`PreviewLine`).
    line_payment_retried: "report_payment of {} for transaction {}, retried with its original idempotency key", "取引 {1} の report_payment（{0}）を、元の Idempotency-Key のまま再送信";
    line_payment_again: "report_payment of {} for transaction {} again: the record it made is gone from Stripe (new key {})", "取引 {1} の report_payment（{0}）をもう一度送信：作成した記録が Stripe から消えています（新しいキー {2}）";
    line_refunds_retried: "{} failed refund deliveries retried with their original keys", "失敗した返金の送信 {} 件を、元のキーのまま再送信";
    line_refund_reported: "report_refund of {} on {} (reference {})", "{1} に report_refund（{0}、参照 {2}）";
    line_duplicate_refunded: "report_refund of {} on duplicate {} (keeping {})", "重複した {1} に report_refund（{0}）、{2} は残します";
    line_adjust_amount_to_payee: "adjustment of {} ({}) from payer to payee, correcting {}, so the ledger's amount matches Stripe", "支払者から受取者へ {}（{}）の調整を計上し、{} を訂正して台帳の金額を Stripe に合わせます";
    line_adjust_amount_to_payer: "adjustment of {} ({}) from payee back to payer, correcting {}, so the ledger's amount matches Stripe", "受取者から支払者へ {}（{}）の調整を計上し、{} を訂正して台帳の金額を Stripe に合わせます";
    line_adjust_refund_to_payee: "adjustment of {} ({}) from payer to payee, correcting {}, so the ledger's refund matches Stripe", "支払者から受取者へ {}（{}）の調整を計上し、{} を訂正して台帳の返金額を Stripe に合わせます";
    line_adjust_refund_to_payer: "adjustment of {} ({}) from payee back to payer, correcting {}, so the ledger's refund matches Stripe", "受取者から支払者へ {}（{}）の調整を計上し、{} を訂正して台帳の返金額を Stripe に合わせます";
    line_linked: "{} is matched to transaction {} by hand", "{} を取引 {} に手動で紐付けます";
    line_unlinked: "{} is no longer matched to any transaction", "{} の取引への紐付けを解除します";
    line_case_ignored: "The case becomes ignored: runs keep checking it, and close it when the break is gone.", "ケースは無視になります。照合は引き続き確認し、差異がなくなればクローズします。";
    line_case_open: "The case becomes open.", "ケースは未解決に戻ります。";
    line_case_closed_by_link: "The case becomes closed (undo the link to reopen it).", "ケースはクローズされます（紐付けを解除すると再オープンします）。";
    line_next_run_closes: "The next run closes the case if the ledger then agrees.", "次回の照合で台帳が一致すれば、ケースはクローズされます。";
    line_orphan_reopens: "The orphan case of this record reopens.", "この記録の「Stripe にのみ記録あり」ケースが再オープンします。";
    line_next_run_unmatched: "The next run finds the record unmatched.", "次回の照合で、この記録は台帳にない記録として見つかります。";
    // The queue page: runs.
    run_now: "Run now", "今すぐ実行";
    full_rescan: "Full re-scan", "全件を再スキャン";
    live_cases: "Live cases", "未クローズのケース";
    open_count: "{} open", "未解決 {} 件";
    ignored_count: "{} ignored", "無視 {} 件";
    runs: "Runs", "照合の実行";
    runs_every: "Runs every {} minutes, and whenever someone starts one.", "{}分ごとに自動で実行され、手動でも開始できます。";
    scan_full_run: "full re-scan", "全件再スキャン";
    scan_incremental_run: "incremental run", "差分照合";
    run_progress: " · {} records read · {} started by {} at {}", " · {} 件読み取り済み · {}（開始：{}、{}）";
    started_by_schedule: "schedule", "定期実行";
    phase_starting: "Starting", "開始しています";
    phase_invoices: "Reading the invoices the ledger paid", "台帳で支払われた請求書を読み取り中";
    phase_every_record: "Reading every Stripe payment record", "Stripe のすべての Payment Record を読み取り中";
    phase_new_records: "Reading new Stripe payment records", "Stripe の新しい Payment Record を読み取り中";
    phase_referred_records: "Reading the records the ledger refers to", "台帳が参照している記録を読み取り中";
    phase_comparing: "Comparing the ledger with Stripe", "台帳と Stripe を比較中";
    phase_updating: "Updating cases", "ケースを更新中";
    phase_finished: "Finished", "完了";
    no_run_yet: "No run yet.", "まだ実行されていません。";
    started: "Started", "開始日時";
    by: "By", "実行者";
    duration: "Duration", "所要時間";
    scan: "Scan", "スキャン";
    status: "Status", "状態";
    records_read: "Records read", "読み取り件数";
    breaks: "Breaks", "不一致";
    error: "Error", "エラー";
    scan_full: "full", "全件";
    scan_incremental: "incremental", "差分";
    duration_ms: "{} ms", "{}ミリ秒";
    duration_s: "{}.{} s", "{}.{}秒";
    duration_min: "{} min {} s", "{}分{}秒";
    class_count: "{} {}", "{} {} 件";
    list_separator: ", ", "、";

    // The queue page: filters and the queue.
    queue: "Queue", "ケース一覧";
    age: "Age", "経過日数";
    state: "State", "状態";
    state_live: "live (open and ignored)", "未クローズ（未解決と無視）";
    state_open: "open", "未解決";
    state_ignored: "ignored", "無視";
    state_closed: "closed", "クローズ済み";
    account_id: "account id", "口座 ID";
    export_csv: "Export CSV", "CSV をエクスポート";
    assignee: "Assignee", "担当者";
    anyone: "anyone", "すべて";
    unassigned: "unassigned", "未割り当て";
    me: "{} (me)", "{}（自分）";
    no_case_matches: "No case matches these filters.", "条件に合うケースはありません。";
    no_breaks: "No breaks — the ledger and Stripe agree.", "不一致はありません。台帳と Stripe は一致しています。";
    more_than_cases: "More than {} cases in this selection; {} on this page.", "この条件に合うケースは {} 件を超えます。このページには {} 件を表示しています。";
    cases_in_selection: "{} case(s) in this selection; {} on this page.", "この条件に合うケースは {} 件です。このページには {} 件を表示しています。";
    what_differs: "What differs", "相違内容";
    transaction: "Transaction", "取引";
    field_currency: "Currency", "通貨";
    field_amount: "Amount", "金額";
    field_refunded: "Refunded", "返金額";
    field_status: "Status", "状態";
    field_customer: "Customer", "顧客";
    field_payment_reference: "Payment reference", "決済の参照番号";
    field_matched_by: "Matched by", "照合の根拠";
    stripe_record: "Stripe record", "Stripe の記録";
    first_seen: "First seen", "初回検出";
    next_page: "Next page →", "次のページ →";
    first_page: "First page", "最初のページ";

    // Bulk fixes.
    bulk_title: "Fix every case in this selection", "この条件のケースをまとめて修正";
    fix: "Fix", "修正内容";
    preview: "Preview", "プレビュー";
    fixed_cases: "Fixed {} case(s).", "{} 件のケースを修正しました。";
    bulk_scope: "{} cases, total {} ({} skipped)", "{} 件、合計 {}（対象外 {} 件）";
    reason: "Reason", "理由";
    bulk_confirm: "{} — all {} cases", "{} — 全 {} 件";
    apply_to: "Apply to {} cases", "{} 件に適用";
    fix_report_payment: "Report the payment to Stripe", "支払いを Stripe に報告";
    fix_report_refund: "Report the missing refund to Stripe", "未報告の返金を Stripe に報告";
    fix_refund_duplicate: "Refund the duplicate record in Stripe", "Stripe の重複した記録を返金";
    fix_link: "Link to a ledger transaction", "台帳の取引に紐付け";
    fix_unlink: "Undo the link", "紐付けを解除";
    fix_adjust: "Post a ledger adjustment", "台帳に調整を計上";
    fix_ignore: "Ignore", "無視";
    fix_reopen: "Reopen", "再オープン";

    // A case.
    back: "← Reconciliation", "← 照合";
    case: "Case", "ケース";
    case_title: "{} · Case", "{} · ケース";
    last_seen: "Last seen", "最終検出";
    ledger_transaction: "Ledger transaction", "台帳の取引";
    none: "none", "なし";
    open_in_dashboard: "Open in the Stripe Dashboard ↗", "Stripe ダッシュボードで開く ↗";
    ledger_and_stripe: "Ledger and Stripe", "台帳と Stripe";
    remarks: "Remarks", "メモ";
    remark: "Remark", "メモ";
    add_remark: "Add remark", "メモを追加";
    remark_added: "Remark added.", "メモを追加しました。";
    nothing_to_compare: "Nothing to compare.", "比較する項目はありません。";
    field: "Field", "項目";
    differs: "Differs", "相違あり";
    differs_label: "differs", "相違あり";
    candidates: "Ledger transactions this record could mirror", "この記録に対応する可能性のある台帳の取引";
    candidates_note: "Suggestions only: nothing is linked until you choose one and confirm.", "候補の提示のみです。選んで確認するまで紐付けは行われません。";
    score: "Score", "スコア";
    occurred: "Occurred", "発生日時";
    why: "Why", "根拠";
    link: "Link", "紐付け";
    fixes: "Fixes", "修正";
    no_fix: "No fix applies to this case.", "このケースに適用できる修正はありません。";
    fix_applied: "Fix applied.", "修正を適用しました。";
    transaction_id: "Ledger transaction id", "台帳の取引 ID";
    preparing_preview: "Preparing the preview…", "プレビューを準備中…";
    confirm_read: "I have read what this will do: {}", "実行内容を確認しました：{}";
    apply: "Apply", "適用";
    nothing: "Nothing", "なし";
    assignment: "Assignment", "担当";
    unassigned_choice: "Unassigned", "未割り当て";
    assign: "Assign", "割り当て";
    assignment_saved: "Assignment saved.", "担当者を保存しました。";
    history: "History", "履歴";
    nothing_yet: "Nothing yet.", "まだ何もありません。";
    value_settled: "settled", "決済済み";
    value_nothing: "nothing", "なし";
    matched_stored: "stored", "Regio が保存した ID";
    matched_reference: "reference", "決済の参照番号";
    matched_metadata: "metadata", "メタデータ";
    matched_manual: "manual", "手動";
    reason_same_amount: "same amount and currency", "金額と通貨が同じ";
    reason_days_apart: "{} day(s) apart", "{}日の差";
    reason_same_customer: "same Stripe customer", "Stripe の顧客が同じ";
    reason_same_description: "same description", "説明が同じ";
    run_actor: "reconciliation", "自動照合";
    event_opened: "opened", "オープン";
    event_changed: "changed", "内容が変化";
    event_closed: "closed", "クローズ";
    event_reopened: "reopened", "再オープン";
    event_assigned: "assigned", "担当を変更";
    event_remark: "remark", "メモ";
}}

/// A case's state, as the page's language says it.
pub fn case_state_name(r: &'static Recon, state: CaseState) -> &'static str {
    match state {
        CaseState::Open => r.state_open,
        CaseState::Ignored => r.state_ignored,
        CaseState::Closed => r.state_closed,
    }
}

/// A fix, as the page's language names it.
pub fn fix_name(r: &'static Recon, kind: FixKind) -> &'static str {
    match kind {
        FixKind::ReportPayment => r.fix_report_payment,
        FixKind::ReportRefund => r.fix_report_refund,
        FixKind::RefundDuplicate => r.fix_refund_duplicate,
        FixKind::Link => r.fix_link,
        FixKind::Unlink => r.fix_unlink,
        FixKind::Adjust => r.fix_adjust,
        FixKind::Ignore => r.fix_ignore,
        FixKind::Reopen => r.fix_reopen,
    }
}

/// How a run went, as the page's language says it.
pub fn run_status_name(t: &'static crate::i18n::Texts, status: RunStatus) -> &'static str {
    match status {
        RunStatus::Running => t.run_running,
        RunStatus::Succeeded => t.run_succeeded,
        RunStatus::Failed => t.run_failed,
    }
}

/// What a run is doing, as the page's language says it. The server stores the phase in
/// English; a phase this list does not know shows as it is.
pub fn phase_name<'a>(r: &'static Recon, phase: &'a str) -> &'a str {
    match phase {
        "Starting" => r.phase_starting,
        "Reading the invoices the ledger paid" => r.phase_invoices,
        "Reading every Stripe payment record" => r.phase_every_record,
        "Reading new Stripe payment records" => r.phase_new_records,
        "Reading the records the ledger refers to" => r.phase_referred_records,
        "Comparing the ledger with Stripe" => r.phase_comparing,
        "Updating cases" => r.phase_updating,
        "Finished" => r.phase_finished,
        other => other,
    }
}

/// Who started a run: a person's name, or the schedule.
pub fn started_by_name<'a>(r: &'static Recon, started_by: &'a str) -> &'a str {
    if started_by == "schedule" { r.started_by_schedule } else { started_by }
}

/// A compared field's name, as the page's language says it. The server names the fields in
/// English; a field this list does not know shows as it is.
pub fn field_name<'a>(r: &'static Recon, field: &'a str) -> &'a str {
    match field {
        "Transaction" => r.transaction,
        "Currency" => r.field_currency,
        "Amount" => r.field_amount,
        "Refunded" => r.field_refunded,
        "Status" => r.field_status,
        "Customer" => r.field_customer,
        "Payment reference" => r.field_payment_reference,
        "Matched by" => r.field_matched_by,
        other => other,
    }
}

/// A compared value the server words (a status, how a record was matched), as the page's
/// language says it; amounts, ids and what this console does not know show as they are.
pub fn field_value<'a>(r: &'static Recon, value: &'a str) -> &'a str {
    match value {
        "settled" => r.value_settled,
        "nothing" => r.value_nothing,
        "stored" => r.matched_stored,
        "reference" => r.matched_reference,
        "metadata" => r.matched_metadata,
        "manual" => r.matched_manual,
        other => other.parse().map_or(other, |status| record_status_name(r, status)),
    }
}

/// Where a Payment Record's money stands, as the page's language says it.
pub fn record_status_name(r: &'static Recon, status: RecordStatus) -> &'static str {
    match status {
        RecordStatus::Guaranteed => r.record_guaranteed,
        RecordStatus::Failed => r.record_failed,
        RecordStatus::Canceled => r.record_canceled,
        RecordStatus::Pending => r.record_pending,
    }
}

/// What happened to a case, as its history names it in the page's language: a fix by the
/// fix's name; an event this console does not know shows as stored.
pub fn case_event_name<'a>(r: &'static Recon, what: &'a str) -> &'a str {
    match what {
        "opened" => r.event_opened,
        "changed" => r.event_changed,
        "closed" => r.event_closed,
        "reopened" => r.event_reopened,
        "assigned" => r.event_assigned,
        "remark" => r.event_remark,
        other => other.parse().map_or(other, |kind| fix_name(r, kind)),
    }
}
