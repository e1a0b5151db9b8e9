//! Users, audit, settings, import and search.

use crate::domain::Role;
use crate::domain::ledger::ImportStatus;
use crate::i18n::Texts;

texts! { Admin {
    // Users.
    add_a_user: "Add a user", "ユーザーを追加";
    name: "Name", "名前";
    role: "Role", "役割";
    role_of: "Role of {}", "{} の役割";
    add_user: "Add user", "追加";
    user_added: "User added.", "ユーザーを追加しました。";
    role_changed: "Role changed.", "役割を変更しました。";
    access_changed: "Sign-in access changed.", "ログインの可否を変更しました。";
    password_was_reset: "Password reset.", "パスワードを再設定しました。";
    status: "Status", "状態";
    enable: "Enable", "有効化";
    disable: "Disable", "無効化";
    user_active: "active", "有効";
    user_disabled: "disabled", "無効";
    new_password: "New password", "新しいパスワード";
    reset: "Reset", "再設定";

    // The audit log.
    audit_log: "Audit log", "監査ログ";
    user: "User", "ユーザー";
    email_placeholder: "email", "メールアドレス";
    action: "Action", "操作";
    action_example: "e.g. user.", "例：user.";
    no_audit_events: "No audit events match these filters.", "条件に合う監査ログはありません。";
    who: "Who", "操作者";
    target: "Target", "対象";
    before: "Before", "変更前";
    after: "After", "変更後";
    ip: "IP", "IP アドレス";

    // Settings: the currency.
    add_a_currency: "Add a currency", "通貨を追加";
    edit_currency: "Edit {}", "{} を編集";
    no_currency: "No currency yet. Add the one your payment system uses below.", "通貨はまだありません。決済システムで使う通貨を下のフォームで追加してください。";
    code: "Code", "コード";
    decimals: "Decimals", "小数桁数";
    pegged_to: "Pegged to", "ペッグ先";
    rate: "Rate", "ペッグレート";
    stripe_payment_method: "Stripe payment method", "Stripe の決済手段";
    edit: "Edit", "編集";
    rate_per_unit: "Rate (fiat per 1 unit)", "ペッグレート（地域通貨1単位あたりの法定通貨額）";
    payment_method_type: "Stripe payment method type", "Stripe の決済手段タイプ";
    name_on_records: "Name on Payment Records", "Payment Record に表示する名称";
    save_currency: "Save currency", "通貨を保存";
    cancel: "Cancel", "キャンセル";
    currency_saved: "Currency saved.", "通貨を保存しました。";
    conversion_rule: "Conversion rule: fiat = local × rate, rounded half away from zero to the fiat's minor unit (at a rate of 0.5, 3 coins are ¥1.5, reported as ¥2). Refunds convert at the payment's own rate, whatever the rate is today, so a fully refunded payment gives back exactly what it reported. The number of decimals and the fiat currency cannot change once transactions use the currency. A new rate applies to new payments only: payments already recorded, and their refunds, keep the rate and fiat amount they were posted with.",
        "換算のルール：法定通貨 = 地域通貨 × ペッグレートとし、法定通貨の最小単位に四捨五入します（レートが 0.5 なら 3 コインは ¥1.5 となり、¥2 として報告します）。返金は現在のレートにかかわらず元の支払いのレートで換算するため、全額返金した支払いでは報告した額がそのまま戻ります。この通貨を使う取引ができた後は、小数桁数と法定通貨を変更できません。新しいレートは新しい支払いにのみ適用されます。記録済みの支払いとその返金は、記録時のレートと法定通貨の金額のままです。";

    // Settings: refund approval.
    refund_approval: "Refund approval", "返金の承認";
    refund_approval_why: "A refund above the threshold is created pending approval and reserves its amount; an admin other than the one who asked approves or rejects it. Leave the threshold empty for none.", "しきい値を超える返金は承認待ちとして作成され、その金額は保留されます。申請者とは別の管理者が承認または却下します。しきい値を設けない場合は空欄にしてください。";
    refunds_above: "{} refunds above", "{} の返金のしきい値";
    threshold_none: "none", "なし";
    save_threshold: "Save threshold", "しきい値を保存";
    threshold_saved: "Threshold saved. It applies to refunds requested from now on.", "しきい値を保存しました。これ以降に申請される返金から適用されます。";

    // Settings: API keys.
    api_keys: "API keys", "API キー";
    api_keys_how: "The payment system sends transactions to {} with {}.", "決済システムは取引を {} に、{} を付けて送信します。";
    no_api_keys: "No API keys yet.", "API キーはまだありません。";
    key: "Key", "キー";
    created_by: "Created by", "作成者";
    created: "Created", "作成日時";
    key_revoked: "Key revoked. Requests with it are refused from now on.", "キーを失効させました。今後このキーによるリクエストは拒否されます。";
    create_a_key: "Create a key", "キーを作成";
    create_key: "Create key", "作成";
    copy_key_now: "Copy this key now: it will not be shown again.", "このキーを今すぐコピーしてください。二度と表示されません。";
    key_hash_only: " Regio keeps only its hash. If it is lost, create a new key and revoke {}.", "Regio はキーのハッシュ値のみを保存します。紛失した場合は新しいキーを作成し、「{}」を失効させてください。";
    new_api_key: "New API key", "新しい API キー";
    key_revoked_badge: "revoked", "失効済み";
    key_live: "live", "有効";
    sure: "Sure", "確認しました";
    revoke: "Revoke", "失効させる";

    // CSV import.
    import_heading: "Import transactions from CSV", "CSV から取引をインポート";
    csv_file: "CSV file", "CSV ファイル";
    upload_and_check: "Upload and check", "アップロードして確認";
    import_how: "One row per transaction; the header names the columns, in any order. Nothing is recorded until you commit the checked file, and then all of it is, or none.", "1行に1件の取引を書きます。列名はヘッダー行で指定し、列の順序は自由です。確認済みのファイルを確定するまでは何も記録されず、確定するとすべてが記録されるか、何も記録されないかのどちらかです。";
    recent_imports: "Recent imports", "最近のインポート";
    no_imports: "No imports yet.", "インポートはまだありません。";
    file: "File", "ファイル";
    by: "By", "実行者";
    rows: "Rows", "行数";
    errors: "Errors", "エラー";
    import_checking: "checking", "確認中";
    import_checked: "checked", "確認済み";
    import_committing: "committing", "確定中";
    import_committed: "committed", "確定済み";
    import_failed: "failed", "失敗";
    back_to_imports: "← Imports", "← インポート一覧";
    import_facts: "{} rows · uploaded by {} at {}", "{} 行 · {} が {} にアップロード";
    rows_done: "{} / {} rows", "{} / {} 行";
    total_amount: "Total amount", "合計金額";
    recorded: "Recorded: {} transactions. Payments and refunds are on their way to Stripe.", "{} 件の取引を記録しました。支払いと返金は Stripe に送信中です。";
    every_row_passed: "Every row passed", "すべての行が確認を通過しました";
    record_all_rows: "Record all {} rows in the ledger (payments and refunds are reported to Stripe)", "{} 行すべてを台帳に記録する（支払いと返金は Stripe に報告されます）";
    commit_import: "Commit import", "インポートを確定";
    committing: "Committing…", "確定しています…";
    rows_refused: "{} row(s) refused", "受け付けられない行：{} 行";
    fix_and_upload_again: "Nothing from this file can be recorded until these rows are fixed and the file is uploaded again.", "これらの行を修正してファイルをアップロードし直すまで、このファイルからは何も記録できません。";
    first_shown: " The first {} are shown.", "最初の {} 件を表示しています。";
    row: "Row", "行";
    field: "Field", "項目";
    problem: "Problem", "問題";

    // Search.
    search: "Search", "検索";
    searching: "Searching…", "検索中…";
    searchable: "Search by transaction id, external reference, Payment Record id (pr_…), account reference or name, or an exact amount such as 1500 or 12.50.", "取引 ID、参照番号、Payment Record ID（pr_…）、口座番号または口座名、または 1500 や 12.50 のような金額（完全一致）で検索できます。";
    no_match: "No transaction matches “{}”.", "「{}」に一致する取引はありません。";
    hits: "{} transaction(s); at most 20, newest first.", "{} 件の取引（最大20件、新しい順）。";
    matched: "Matched", "一致した項目";
    matched_id: "id", "取引 ID";
    matched_external_reference: "external reference", "参照番号";
    matched_account: "account", "口座";
    matched_amount: "amount", "金額";
}}

/// A role as the page's language names it.
pub fn role_name(t: &'static Texts, role: Role) -> &'static str {
    match role {
        Role::Admin => t.role_admin,
        Role::Support => t.role_support,
        Role::Viewer => t.role_viewer,
    }
}

/// Where an import stands, as the page's language says it.
pub fn import_status_name(a: &'static Admin, status: ImportStatus) -> &'static str {
    match status {
        ImportStatus::Checking => a.import_checking,
        ImportStatus::Checked => a.import_checked,
        ImportStatus::Committing => a.import_committing,
        ImportStatus::Committed => a.import_committed,
        ImportStatus::Failed => a.import_failed,
    }
}

/// What a search matched on, in the page's language; Stripe's names and anything unknown
/// read as the server said them.
pub fn matched_name(a: &'static Admin, matched: &str) -> Option<&'static str> {
    match matched {
        "id" => Some(a.matched_id),
        "external reference" => Some(a.matched_external_reference),
        "account" => Some(a.matched_account),
        "amount" => Some(a.matched_amount),
        _ => None,
    }
}
