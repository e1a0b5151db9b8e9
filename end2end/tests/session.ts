import { expect, type Page } from '@playwright/test';

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

/** The import page's words in one language, for `importPayment`. */
export const IMPORT_WORDS = {
  en: { file: 'CSV file', upload: 'Upload and check', recordAll: /Record all 2 rows/, commit: 'Commit import', recorded: 'Recorded: 2 transactions.' },
  ja: { file: 'CSV ファイル', upload: 'アップロードして確認', recordAll: /2 行すべてを台帳に記録する/, commit: 'インポートを確定', recorded: '2 件の取引を記録しました。' },
};

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
  en: { parts: ['Ledger', 'Stripe', 'Case'], reason: 'Reason', confirm: /I have read what this will do/, apply: 'Apply', applied: 'Fix applied.' },
  ja: { parts: ['台帳', 'Stripe', 'ケース'], reason: '理由', confirm: /実行内容を確認しました/, apply: '適用', applied: '修正を適用しました。' },
};

/** Previews the fix named `label` on the open case page, confirms it, and applies it. */
export async function applyFix(page: Page, label: string, words: (typeof FIX_WORDS)['en'], reason?: string) {
  await page.locator('.fix-choices').getByRole('button', { name: label, exact: true }).click();
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
