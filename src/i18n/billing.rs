//! Billing: invoices, subscriptions, plans, dunning and Stripe events.

use crate::domain::billing::{DunningFinal, EventState, EventVia, InvoiceAction, InvoiceOrigin, PlanInterval, StepKind, StepState};

texts! { Billing {
    // The section's navigation.
    nav_invoices: "Invoices", "請求書";
    nav_subscriptions: "Subscriptions", "サブスクリプション";
    nav_plans: "Plans", "プラン";
    nav_awaiting: "Awaiting funds", "残高不足・督促";
    nav_events: "Stripe events", "Stripe イベント";

    // Invoice and subscription statuses, as badges and filter choices.
    status_draft: "draft", "下書き";
    status_open: "open", "未払い";
    status_paid: "paid", "支払い済み";
    status_void: "void", "無効";
    status_uncollectible: "uncollectible", "回収不能";
    status_scheduled: "scheduled", "開始予定";
    status_pending: "pending", "処理待ち";
    status_incomplete: "incomplete", "未完了";
    status_incomplete_expired: "incomplete expired", "期限切れ";
    status_trialing: "trialing", "トライアル中";
    status_active: "active", "有効";
    status_past_due: "past due", "支払い遅延";
    status_unpaid: "unpaid", "未払い（再試行終了）";
    status_paused: "paused", "一時停止中";
    status_canceled: "canceled", "解約済み";
    status_archived: "archived", "アーカイブ済み";
    step_failed: "Stripe call failed", "Stripe への送信失敗";
    step_queued: "Stripe call queued", "Stripe への送信待ち";

    // Words several billing pages share.
    status: "Status", "状態";
    state: "State", "状態";
    member: "Member", "会員";
    member_reference: "member reference", "会員の口座番号";
    made_in: "Made in", "作成元";
    origin_regio: "regio", "Regio";
    origin_stripe: "stripe", "Stripe";
    export_csv: "Export CSV", "CSV をエクスポート";
    total: "Total", "合計";
    left_to_pay: "Left to pay", "残額";
    due: "Due", "支払期限";
    created: "Created", "作成日時";
    description: "Description", "内容";
    quantity: "Quantity", "数量";
    qty: "Qty", "数量";
    unit_price: "Unit price", "単価";
    wallet: "Wallet", "ウォレット";
    short: "Short", "不足額";
    plan: "Plan", "プラン";
    next_invoice: "Next invoice", "次回請求";
    attempts: "Attempts", "試行回数";
    sure: "Sure", "確認しました";
    interval_month: "month", "月";
    interval_year: "year", "年";

    // The invoices list.
    due_on_or_before: "Due on or before", "支払期限（この日まで）";
    new_invoice: "New invoice", "新しい請求書";
    no_invoice_matches: "No invoice matches these filters.", "条件に合う請求書はありません。";
    no_invoices: "No invoices yet. Link a member to a Stripe customer on their account page, then create an invoice.", "請求書はまだありません。会員の口座ページで Stripe の顧客と紐付けてから、請求書を作成してください。";
    invoice_count: "{} invoice(s)", "請求書 {} 件";
    number: "Number", "番号";
    draft: "Draft", "下書き";

    // One invoice.
    invoice: "Invoice", "請求書";
    draft_invoice: "Draft invoice", "下書きの請求書";
    finalize: "Finalize", "確定";
    void: "Void", "無効にする";
    mark_uncollectible: "Mark uncollectible", "回収不能にする";
    stripe_invoice: "Stripe invoice", "Stripe の請求書";
    not_in_stripe_yet: "not in Stripe yet", "Stripe 未登録";
    memo: "Memo", "メモ";
    hosted_page: "Hosted page", "Stripe の請求書ページ";
    open_in_stripe: "Open in Stripe", "Stripe で開く";
    asked_stripe: "Asked Stripe; the status follows when it answers.", "Stripe に依頼しました。応答があり次第、状態が更新されます。";
    i_am_sure: "I am sure", "確認しました";
    lines: "Lines", "明細";
    lines_in_stripe: "Made in Stripe: its lines are on the hosted page.", "Stripe で作成された請求書です。明細は Stripe の請求書ページにあります。";
    line: "Line", "小計";
    no_payment_yet: "No payment yet.", "支払いはまだありません。";
    transaction: "Transaction", "取引";
    credit_notes: "Credit notes", "クレジットノート";
    credit_notes_unavailable: "Could not ask Stripe for credit notes just now.", "現在、Stripe からクレジットノートを取得できません。";
    no_credit_notes: "None. Refunding a payment of this invoice makes one.", "ありません。この請求書の支払いを返金すると作成されます。";
    credit_note: "Credit note", "クレジットノート";
    refund: "Refund", "返金";
    stripe_steps: "Stripe steps", "Stripe への送信処理";
    no_steps: "None.", "ありません。";
    step: "Step", "処理";
    last_error: "Last error", "直近のエラー";
    updated: "Updated", "更新日時";
    step_state_pending: "pending", "送信待ち";
    step_state_done: "done", "完了";
    step_state_failed: "failed", "失敗";
    step_create_customer: "Create the Stripe customer", "Stripe の顧客を作成";
    step_tag_customer: "Name the account on the Stripe customer", "Stripe の顧客に口座を記録";
    step_attach_payment_method: "Give the customer the currency's payment method", "顧客に通貨の決済手段を追加";
    step_create_invoice: "Create the invoice and its lines in Stripe", "Stripe に請求書と明細を作成";
    step_create_plan: "Create the product and price in Stripe", "Stripe に商品と価格を作成";
    step_archive_plan: "Archive the price", "価格をアーカイブ";
    step_create_subscription: "Create the subscription in Stripe", "Stripe にサブスクリプションを作成";
    step_cancel_subscription: "Cancel now", "今すぐ解約";
    step_cancel_at_period_end: "Cancel at the end of the period", "期間終了時に解約";
    step_change_subscription: "Change the plan", "プランを変更";
    collect_from_wallet: "Collect from wallet", "ウォレットから回収";
    review_collection: "Review the collection", "回収内容を確認";
    in_the_ledger: "In the ledger", "台帳では";
    in_stripe: "In Stripe", "Stripe では";
    wallet_short: "The wallet is {} short: nothing can be collected until it is topped up.", "ウォレットの残高が {} 不足しています。チャージされるまで回収できません。";
    debit_and_pay: "Debit the wallet and pay the invoice", "ウォレットから引き落として請求書を支払う";
    collect: "Collect", "回収";
    collected: "Collected: the Payment Record is on its way to Stripe.", "回収しました。Payment Record を Stripe に送信しています。";

    // A new invoice.
    no_linked_member: "No member is linked to a Stripe customer yet. Open a member's account page and create or attach their customer first.", "Stripe の顧客と紐付いた会員がまだいません。先に会員の口座ページを開き、顧客を作成するか既存の顧客を紐付けてください。";
    set_up_currency: "Set up a currency in Settings first.", "先に設定で通貨を登録してください。";
    due_on: "Due on", "支払期限";
    line_local_fiat: "Line (local · fiat)", "小計（地域通貨 · 法定通貨）";
    remove: "Remove", "削除";
    add_line: "Add line", "明細を追加";
    memo_shown: "Memo (shown on the invoice)", "メモ（請求書に表示されます）";
    pricing_note: "Each line is converted to fiat at the peg, rounded half away from zero. The draft is created in Stripe in the background; finalize it from its page.", "各明細はペッグレートで法定通貨に換算し、四捨五入します。下書きはバックグラウンドで Stripe に作成されます。確定は請求書のページから行ってください。";
    create_draft: "Create draft", "下書きを作成";

    // Subscriptions.
    any_status: "Any", "すべて";
    asked_to_cancel: "Asked Stripe to cancel; the status follows when it answers.", "Stripe に解約を依頼しました。応答があり次第、状態が更新されます。";
    asked_to_pause: "Asked Stripe; the subscription shows the change when it answers.", "Stripe に依頼しました。応答があり次第、サブスクリプションに反映されます。";
    plan_change_sent: "Plan change sent to Stripe; a higher price is collected from the wallet at once.", "プランの変更を Stripe に送信しました。値上がり分はすぐにウォレットから回収されます。";
    no_active_plan: "No active plan yet: make one on the Plans page.", "有効なプランがまだありません。プランのページで作成してください。";
    subscribe_member: "Subscribe a member", "会員をサブスクリプションに登録";
    link_member_first: "Link a member to a Stripe customer first (on their account page).", "先に会員を Stripe の顧客と紐付けてください（会員の口座ページで行えます）。";
    starts_on: "Starts (UTC day; empty: now)", "開始日（UTC の日付。空欄なら今すぐ）";
    paid_from_wallet: "Each period is paid from the wallet", "各期間の料金はウォレットから支払われます";
    subscribe: "Subscribe", "登録";
    subscribed: "Subscribed: on its first day Stripe makes the first invoice and Regio pays it from the wallet.", "登録しました。開始日に Stripe が最初の請求書を作成し、Regio がウォレットから支払います。";
    test_clock: "Demo test clock", "デモ用テストクロック";
    members_time: "members' time: {}", "会員側の時刻：{}";
    renewals_billed: "Renewals due by then are billed and collected", "それまでに期日を迎える更新分が請求・回収されます";
    advance_month: "Advance one month", "1か月進める";
    renewals_advanced: "Stripe billed the renewals; Regio collects them from the wallets in a moment.", "Stripe が更新分を請求しました。まもなく Regio がウォレットから回収します。";
    no_subscriptions: "No subscriptions match.", "条件に合うサブスクリプションはありません。";
    subscription_count: "{} subscription(s)", "サブスクリプション {} 件";
    since: "Since", "開始日時";
    ends_with_period: "ends with the period", "期間終了時に解約予定";
    starts: "starts {}", "{} 開始予定";
    collection_paused: "collection paused", "回収を一時停止中";
    changing_to: "changing to {}", "{} に変更予定";
    resume_collection: "Resume collection", "回収を再開";
    pause_collection: "Pause collection", "回収を一時停止";
    manage: "Manage", "操作";
    cancel_when: "When", "解約のタイミング";
    at_period_end: "At period end", "期間終了時";
    now: "Now", "今すぐ";
    cancel: "Cancel", "解約";
    paused_voided: "Invoices of paused periods are voided", "一時停止中の期間の請求書は無効になります";
    collect_again: "Collect again from the next invoice", "次回の請求書から回収を再開します";
    new_plan: "New plan", "新しいプラン";
    preview_change: "Preview change", "変更内容を確認";
    consent_prorated: "Collect {} ({}) from the wallet now; then {} per period", "今すぐウォレットから {}（{}）を回収し、以降は1期間あたり {} になります";
    consent_not_prorated: "Nothing is collected or returned now; {} per period from the next renewal", "今は回収も返金もありません。次回の更新から1期間あたり {} になります";
    confirm_change: "Confirm change", "変更を確定";

    // Plans.
    name: "Name", "名前";
    plan_name_example: "Monthly membership", "月額会員";
    price_per_period: "Price per period", "1期間の料金";
    every: "Every", "請求間隔";
    create_plan: "Create plan", "プランを作成";
    plan_saved: "Plan saved; its price is being created in Stripe.", "プランを保存しました。Stripe で価格を作成しています。";
    no_plans: "No plans yet. A plan is what members subscribe to: a price per month or year in local currency.", "プランはまだありません。プランは会員が申し込む対象で、地域通貨による月額または年額の料金です。";
    archived: "Archived: no new subscriptions; running ones go on.", "アーカイブしました。新規の申し込みはできなくなりますが、継続中のサブスクリプションはそのまま続きます。";
    price: "Price", "料金";
    stripe_price: "Stripe price", "Stripe の価格";
    subscribers: "Subscribers", "契約者数";
    archive: "Archive", "アーカイブ";

    // Awaiting funds and dunning.
    awaiting_intro: "A subscription's invoice is paid from the member's wallet as soon as Stripe asks. When the wallet is short it waits here: Regio tries again on the currency's schedule, and at once when a top-up covers it.", "サブスクリプションの請求書は、Stripe から請求があるとすぐに会員のウォレットから支払われます。残高が足りない場合はここで待機し、Regio が通貨ごとのスケジュールで再試行します。チャージで残高が足りた時点でも、すぐに支払います。";
    no_awaiting: "No invoice is waiting for funds.", "残高不足で待機中の請求書はありません。";
    amount_due: "Due", "請求額";
    waiting_since: "Waiting since", "待機開始";
    retries: "Retries", "再試行回数";
    next_retry: "Next retry", "次回の再試行";
    outcome: "Outcome", "結果";
    invoice_fallback: "invoice", "請求書";
    age_days: " ({} d)", "（{}日）";
    outcome_left_due: "left due after the last retry", "最後の再試行の後、未払いのまま";
    outcome_marked_uncollectible: "marked uncollectible after the last retry", "最後の再試行の後、回収不能に変更";
    outcome_subscription_canceled: "subscription canceled after the last retry", "最後の再試行の後、サブスクリプションを解約";
    outcome_left_due_no_subscription: "left due after the last retry (no subscription Regio made)", "最後の再試行の後、未払いのまま（Regio が作成したサブスクリプションではありません）";
    rules_per_currency: "Rules per currency", "通貨ごとの督促ルール";
    rules_saved: "Saved the rules for {}.", "{} のルールを保存しました。";
    retry_after: "Retry after (days)", "再試行日（待機開始からの日数、カンマ区切り）";
    after_last_retry: "After the last retry", "最後の再試行の後";
    final_leave_past_due: "Leave it due (the subscription goes on)", "未払いのままにする（サブスクリプションは継続）";
    final_mark_uncollectible: "Mark the invoice uncollectible", "請求書を回収不能にする";
    final_cancel_subscription: "Cancel the subscription", "サブスクリプションを解約する";
    take_partial: "Take what a short wallet holds, leave the rest due", "残高が足りなくてもある分だけ回収し、残りは未払いのままにする";
    topup_reminders: "Top-up reminders", "チャージ案内の対象者";
    all_covered: "Every subscriber's wallet covers their next invoice.", "すべての契約者のウォレット残高が、次回の請求額に足りています。";
    for_your_messaging: " for your own messaging", "（会員への連絡にご利用ください）";

    // Stripe events.
    event_type: "Type", "種類";
    reprocessed: "{} processed again: {}.", "{} を再処理しました：{}。";
    last_catch_up: "Last catch-up: {}", "直近の定期取得：{}";
    no_catch_up: "The catch-up has not run yet.", "定期取得はまだ実行されていません。";
    no_events: "No events yet. Stripe's invoice and customer events arrive here by webhook or by the catch-up.", "イベントはまだありません。Stripe の請求書と顧客のイベントは、Webhook または定期取得でここに届きます。";
    received: "Received", "受信日時";
    object: "Object", "オブジェクト";
    via: "Via", "経路";
    result: "Result", "結果";
    reprocess: "Re-process", "再処理";
    event_pending: "pending", "処理待ち";
    event_processed: "processed", "処理済み";
    event_ignored: "ignored", "対象外";
    event_failed: "failed", "失敗";
    via_webhook: "webhook", "Webhook";
    via_catch_up: "catch_up", "定期取得";
}}

/// An invoice action as the page's language names it (the words on its button).
pub fn action_name(b: &'static Billing, action: InvoiceAction) -> &'static str {
    match action {
        InvoiceAction::Finalize => b.finalize,
        InvoiceAction::Void => b.void,
        InvoiceAction::MarkUncollectible => b.mark_uncollectible,
    }
}

/// An invoice, subscription or plan status as the page's language names it; one this console
/// does not know reads as Stripe wrote it.
pub fn status_label<'a>(b: &'static Billing, status: &'a str) -> &'a str {
    match status {
        "draft" => b.status_draft,
        "open" => b.status_open,
        "paid" => b.status_paid,
        "void" => b.status_void,
        "uncollectible" => b.status_uncollectible,
        "scheduled" => b.status_scheduled,
        "pending" => b.status_pending,
        "incomplete" => b.status_incomplete,
        "incomplete_expired" => b.status_incomplete_expired,
        "trialing" => b.status_trialing,
        "active" => b.status_active,
        "past_due" => b.status_past_due,
        "unpaid" => b.status_unpaid,
        "paused" => b.status_paused,
        "canceled" => b.status_canceled,
        "archived" => b.status_archived,
        "Stripe call failed" => b.step_failed,
        "Stripe call queued" => b.step_queued,
        unknown => unknown,
    }
}

/// Where an invoice was made.
pub fn origin_name(b: &'static Billing, origin: InvoiceOrigin) -> &'static str {
    match origin {
        InvoiceOrigin::Regio => b.origin_regio,
        InvoiceOrigin::Stripe => b.origin_stripe,
    }
}

/// How often a plan bills.
pub fn interval_name(b: &'static Billing, interval: PlanInterval) -> &'static str {
    match interval {
        PlanInterval::Month => b.interval_month,
        PlanInterval::Year => b.interval_year,
    }
}

/// A call queued for Stripe, as the page's language names it.
pub fn step_kind_name(b: &'static Billing, kind: StepKind) -> &'static str {
    match kind {
        StepKind::CreateCustomer => b.step_create_customer,
        StepKind::TagCustomer => b.step_tag_customer,
        StepKind::AttachPaymentMethod => b.step_attach_payment_method,
        StepKind::CreateInvoice => b.step_create_invoice,
        StepKind::FinalizeInvoice => b.finalize,
        StepKind::VoidInvoice => b.void,
        StepKind::MarkUncollectible => b.mark_uncollectible,
        StepKind::CreatePlan => b.step_create_plan,
        StepKind::ArchivePlan => b.step_archive_plan,
        StepKind::CreateSubscription => b.step_create_subscription,
        StepKind::CancelSubscription => b.step_cancel_subscription,
        StepKind::CancelAtPeriodEnd => b.step_cancel_at_period_end,
        StepKind::PauseSubscription => b.pause_collection,
        StepKind::ResumeSubscription => b.resume_collection,
        StepKind::ChangeSubscription => b.step_change_subscription,
    }
}

/// How far a queued Stripe call got.
pub fn step_state_name(b: &'static Billing, state: StepState) -> &'static str {
    match state {
        StepState::Pending => b.step_state_pending,
        StepState::Done => b.step_state_done,
        StepState::Failed => b.step_state_failed,
    }
}

/// What processing did with a Stripe event.
pub fn event_state_name(b: &'static Billing, state: EventState) -> &'static str {
    match state {
        EventState::Pending => b.event_pending,
        EventState::Processed => b.event_processed,
        EventState::Ignored => b.event_ignored,
        EventState::Failed => b.event_failed,
    }
}

/// How a Stripe event reached Regio.
pub fn via_name(b: &'static Billing, via: EventVia) -> &'static str {
    match via {
        EventVia::Webhook => b.via_webhook,
        EventVia::CatchUp => b.via_catch_up,
    }
}

/// What a currency's dunning rule does after the last retry.
pub fn final_rule_name(b: &'static Billing, rule: DunningFinal) -> &'static str {
    match rule {
        DunningFinal::LeavePastDue => b.final_leave_past_due,
        DunningFinal::MarkUncollectible => b.final_mark_uncollectible,
        DunningFinal::CancelSubscription => b.final_cancel_subscription,
    }
}

/// What the final dunning rule did, as the server stored it, in the page's language; an
/// outcome this console does not know shows as stored.
pub fn dunning_outcome_name(b: &'static Billing, outcome: &str) -> Option<&'static str> {
    Some(match outcome {
        "left due after the last retry" => b.outcome_left_due,
        "marked uncollectible after the last retry" => b.outcome_marked_uncollectible,
        "subscription canceled after the last retry" => b.outcome_subscription_canceled,
        "left due after the last retry (no subscription Regio made)" => b.outcome_left_due_no_subscription,
        _ => return None,
    })
}
