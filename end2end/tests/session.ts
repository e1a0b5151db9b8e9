import { type Browser, expect, type Page } from '@playwright/test';

/** The admin that demo mode creates (see `src/server/demo.rs`). */
export const admin = { email: 'admin@regio.local', password: 'regio-demo-password' };

/** Signs in from a fresh page and waits for the dashboard. */
export async function signIn(page: Page, email: string, password: string) {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?next=%2F$/);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
}

/** Adds a user from the Users page (the signed-in user must be an admin). */
export async function addUser(page: Page, user: { email: string; name: string; password: string }, role: string) {
  await page.goto('/users');
  const form = page.locator('section.panel form');
  await form.getByLabel('Email').fill(user.email);
  await form.getByLabel('Name').fill(user.name);
  await form.getByLabel('Role').selectOption(role);
  await form.getByLabel('Password').fill(user.password);
  await form.getByRole('button', { name: 'Add user' }).click();
  await expect(page.locator(`tr[data-email="${user.email}"]`)).toContainText(user.name);
}

/** The demo admin, in a browser context of its own that reads English, adds `user` with `role`.
 * A user added so has chosen no language: a Japanese browser then decides it. */
export async function addUserInEnglish(browser: Browser, user: { email: string; name: string; password: string }, role = 'admin') {
  const english = await browser.newContext({ locale: 'en-US' });
  const setup = await english.newPage();
  await signIn(setup, admin.email, admin.password);
  await addUser(setup, user, role);
  await english.close();
}

/** Collects every console error and failed request while `page` is open; a test expects none. */
export function watchForTrouble(page: Page) {
  const trouble: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') trouble.push(`console: ${message.text()}`);
  });
  page.on('requestfailed', (request) => trouble.push(`request: ${request.url()} ${request.failure()?.errorText ?? ''}`));
  return trouble;
}

/** Signs in from a fresh page whose browser reads Japanese, and waits for the dashboard. */
export async function signInJapanese(page: Page, email: string, password: string) {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel('メールアドレス').fill(email);
  await page.getByLabel('パスワード').fill(password);
  await page.getByRole('button', { name: 'ログイン' }).click();
  await expect(page.getByRole('heading', { name: 'ダッシュボード' })).toBeVisible();
}

/** The import page's words in one language, for `importPayment` and `importRows`. */
export const IMPORT_WORDS = {
  en: {
    file: 'CSV file', upload: 'Upload and check', recordAll: /Record all 2 rows/, commit: 'Commit import', recorded: 'Recorded: 2 transactions.',
    recordRows: (n: number) => new RegExp(`Record all ${n} rows`), recordedRows: (n: number) => `Recorded: ${n} transactions.`,
  },
  ja: {
    file: 'CSV ファイル', upload: 'アップロードして確認', recordAll: /2 行すべてを台帳に記録する/, commit: 'インポートを確定', recorded: '2 件の取引を記録しました。',
    recordRows: (n: number) => new RegExp(`${n} 行すべてを台帳に記録する`), recordedRows: (n: number) => `${n} 件の取引を記録しました。`,
  },
};

/** Records the rows of `csv` (a header line, then one line a row) through the import page. */
export async function importRows(page: Page, csv: string, words: (typeof IMPORT_WORDS)['en']) {
  const rows = csv.trim().split('\n').length - 1;
  await page.goto('/import');
  await page.getByLabel(words.file).setInputFiles({ name: 'rows.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: words.upload }).click();
  await page.getByRole('checkbox', { name: words.recordRows(rows) }).check({ timeout: 20_000 });
  await page.getByRole('button', { name: words.commit }).click();
  await expect(page.getByText(words.recordedRows(rows))).toBeVisible({ timeout: 20_000 });
}

/** Records, through a CSV import, a top-up of 5,000 SRB to member-001 (`reference`) and a
 * payment of 3,000 SRB from it to shop-01 (`reference-pay`). */
export async function importPayment(page: Page, reference: string, words: (typeof IMPORT_WORDS)['en']) {
  await page.goto('/import');
  await page.getByLabel(words.file).setInputFiles({
    name: 'payment.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(`external_ref,kind,currency,amount,from,to\n${reference},top_up,SRB,5000,issuer,member-001\n${reference}-pay,payment,SRB,3000,member-001,shop-01\n`),
  });
  await page.getByRole('button', { name: words.upload }).click();
  await page.getByRole('checkbox', { name: words.recordAll }).check({ timeout: 20_000 });
  await page.getByRole('button', { name: words.commit }).click();
  await expect(page.getByText(words.recorded)).toBeVisible({ timeout: 20_000 });
}

/** The case page's words in one language, for `applyFix`. */
export const FIX_WORDS = {
  en: {
    parts: ['Ledger', 'Stripe', 'Case'], reason: 'Reason', confirm: /I have read what this will do/, apply: 'Apply', applied: 'Fix applied.',
    transaction: 'Ledger transaction id', preview: 'Preview',
  },
  ja: {
    parts: ['台帳', 'Stripe', 'ケース'], reason: '理由', confirm: /実行内容を確認しました/, apply: '適用', applied: '修正を適用しました。',
    transaction: '台帳の取引 ID', preview: 'プレビュー',
  },
};

/** Previews the fix named `label` on the open case page, confirms it, and applies it. A link
 * names its ledger transaction (`transaction`) before the preview. */
export async function applyFix(page: Page, label: string, words: (typeof FIX_WORDS)['en'], reason?: string, transaction?: string) {
  await page.locator('.fix-choices').getByRole('button', { name: label, exact: true }).click();
  if (transaction !== undefined) {
    await page.getByLabel(words.transaction).fill(transaction);
    await page.getByRole('button', { name: words.preview, exact: true }).click();
  }
  const preview = page.locator('.fix-preview');
  await expect(preview).toBeVisible();
  for (const part of words.parts) {
    await expect(preview.getByRole('heading', { name: part, exact: true })).toBeVisible();
  }
  if (reason !== undefined) {
    await page.getByLabel(words.reason).fill(reason);
  }
  await page.getByLabel(words.confirm).check();
  await page.getByRole('button', { name: words.apply, exact: true }).click();
  await expect(page.getByText(words.applied)).toBeVisible();
}

/** Where the emulator demo mode starts listens (playwright.config.ts fixes its port). */
export const EMULATOR_URL = process.env.E2E_EMULATOR_URL ?? `http://127.0.0.1:${Number(process.env.E2E_PORT ?? '3917') + 1}`;
/** The key demo mode uses against its emulator (`DEMO_KEY` in src/server/stripe/setup.rs). */
const DEMO_KEY = 'sk_test_regio_demo';
/** The custom payment method of the demo currency (src/server/demo.rs). */
const DEMO_PAYMENT_METHOD = { type: 'cpmt_regio_demo_sarubobo', name: 'さるぼぼコイン' };

async function emulator(method: 'POST' | 'DELETE', path: string, form?: Record<string, string>) {
  const response = await fetch(`${EMULATOR_URL}${path}`, {
    method,
    headers: { Authorization: `Bearer ${DEMO_KEY}`, ...(form && { 'Content-Type': 'application/x-www-form-urlencoded' }) },
    body: form && new URLSearchParams(form).toString(),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`emulator ${method} ${path}: ${response.status} ${JSON.stringify(body)}`);
  return body as { id: string };
}

/** What a Stripe Dashboard user does to Payment Records, done on the emulator as demo mode's
 * `stage_breaks` does: edit or delete a record, or report a payment by hand. */
export const stripeDashboard = {
  edit: (record: string, fields: Record<string, string>) => emulator('POST', `/_emulator/payment_records/${record}`, fields),
  remove: (record: string) => emulator('DELETE', `/_emulator/payment_records/${record}`),
  /** Reports a guaranteed payment of `yen` by hand, naming `reference` (a ledger transaction id)
   * as its processor's reference when given; returns the new record's id. */
  async reportByHand(yen: number, reference?: string) {
    const now = String(Math.floor(Date.now() / 1000));
    const form: Record<string, string> = {
      'amount_requested[currency]': 'jpy',
      'amount_requested[value]': String(yen),
      initiated_at: now,
      outcome: 'guaranteed',
      'guaranteed[guaranteed_at]': now,
      'payment_method_details[type]': 'custom',
      'payment_method_details[custom][type]': DEMO_PAYMENT_METHOD.type,
      'payment_method_details[custom][display_name]': DEMO_PAYMENT_METHOD.name,
      description: 'Entered by hand in the Dashboard (e2e)',
    };
    if (reference !== undefined) {
      form['processor_details[type]'] = 'custom';
      form['processor_details[custom][payment_reference]'] = reference;
    }
    return (await emulator('POST', '/v1/payment_records/report_payment', form)).id;
  },
};
