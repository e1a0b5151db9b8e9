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
