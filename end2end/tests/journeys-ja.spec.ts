import { type Browser, expect, type Page, test } from '@playwright/test';
import { addUser, admin, applyFix, FIX_WORDS, IMPORT_WORDS, importPayment, signIn, signInJapanese, watchForTrouble } from './session';

// The same journeys as refunds.spec.ts, read in Japanese: every label, button and message the
// test finds by its Japanese text, so a page left in English or a key gone wrong fails here.
test.use({ locale: 'ja-JP' });

const stamp = Date.now();
const support = { email: `support-ja-${stamp}@example.org`, name: '佐藤 サポート', password: 'a support passphrase' };
const japaneseAdmin = { email: `admin-ja-${stamp}@example.org`, name: '高山 管理者', password: 'an admin passphrase' };
const payment = `e2e-ja-${stamp}`;

/** The demo admin, in a browser of its own that reads English, adds `user` as an admin. */
async function addAdminInEnglish(browser: Browser, user: { email: string; name: string; password: string }) {
  const english = await browser.newContext({ locale: 'en-US' });
  const setup = await english.newPage();
  await signIn(setup, admin.email, admin.password);
  await addUser(setup, user, 'admin');
  await english.close();
}

async function signOut(page: Page) {
  await page.getByRole('button', { name: 'ログアウト' }).click();
  await expect(page).toHaveURL(/\/login/);
}

test('an admin adds support and records a payment; support finds it and refunds part of it, in Japanese', async ({ browser, page }, testInfo) => {
  test.setTimeout(120_000);
  // The demo admin keeps the language other tests read it in: it only adds an admin of our own,
  // who has chosen no language, so the Japanese browser decides.
  await addAdminInEnglish(browser, japaneseAdmin);

  const trouble = watchForTrouble(page);
  await signInJapanese(page, japaneseAdmin.email, japaneseAdmin.password);

  await page.getByRole('navigation', { name: 'メニュー' }).getByRole('link', { name: 'ユーザー' }).click();
  const form = page.locator('section.panel form');
  await form.getByLabel('メールアドレス').fill(support.email);
  await form.getByLabel('名前').fill(support.name);
  await form.getByLabel('役割').selectOption('support');
  await form.getByLabel('パスワード').fill(support.password);
  await form.getByRole('button', { name: '追加' }).click();
  await expect(page.locator(`tr[data-email="${support.email}"]`)).toContainText('サポート');

  await importPayment(page, payment, IMPORT_WORDS.ja);
  await signOut(page);

  await signInJapanese(page, support.email, support.password);
  await expect(page.locator('.who .badge')).toHaveText('サポート');
  await page.goto('/search?q=' + encodeURIComponent(`${payment}-pay`));
  await expect(page.getByRole('heading', { name: '検索' })).toBeVisible();
  await page.getByRole('link', { name: `${payment}-pay` }).first().click();
  await page.getByRole('button', { name: '返金', exact: true }).click();
  await page.getByLabel(/^金額/).fill('500');
  await page.getByRole('button', { name: '確認', exact: true }).click();
  await expect(page.getByRole('heading', { name: /^確認：/ })).toBeVisible();
  await expect(page.getByText('まだ何も反映されていません。')).toBeVisible();
  await page.getByRole('checkbox', { name: /この金額を今すぐ返金します/ }).check();
  await page.getByRole('button', { name: '今すぐ返金' }).click();
  await expect(page.getByRole('status').filter({ hasText: /計上済み|Stripe に報告済み/ })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('support-refund-ja.png'), fullPage: true });
  expect(trouble).toEqual([]);
});

test('an operator opens a break by keyboard, ignores it with a reason and reopens it, in Japanese', async ({ browser, page }) => {
  // Demo mode seeds breaks and reconciles them in the background after start-up.
  test.setTimeout(90_000);
  const operator = { email: `operator-ja-${stamp}@example.org`, name: '飛騨 照合', password: 'an operator passphrase' };
  await addAdminInEnglish(browser, operator);
  const trouble = watchForTrouble(page);
  await signInJapanese(page, operator.email, operator.password);
  await page.goto('/reconciliation?state=open');
  await expect(page.getByRole('heading', { name: '照合', level: 1 })).toBeVisible();
  await expect(async () => {
    await page.reload();
    await expect(page.locator('table.cases tbody tr')).not.toHaveCount(0);
  }).toPass({ timeout: 45_000 });

  await expect(page.getByRole('button', { name: 'キーボードショートカット' })).toBeEnabled();
  await page.keyboard.press('j');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/reconciliation\/cases\/[^/]+$/);
  const state = page.locator('h1 .badge');
  await expect(state).toHaveText('未解決');

  await applyFix(page, '無視', FIX_WORDS.ja, `e2e: 既知の差異 ${stamp}`);
  await expect(state).toHaveText('無視');
  await expect(page.getByRole('heading', { name: '履歴' })).toBeVisible();
  await applyFix(page, '再オープン', FIX_WORDS.ja);
  await expect(state).toHaveText('未解決');
  expect(trouble).toEqual([]);
});
