import { expect, test } from '@playwright/test';
import { admin, signIn, watchForTrouble } from './session';

test('the dashboard shows the day, charts drawn on the server, and links to each list', async ({ page }, testInfo) => {
  const trouble = watchForTrouble(page);
  await signIn(page, admin.email, admin.password);
  await expect(page.locator('.tile')).toHaveCount(7);
  await expect(page.locator('table.volume tbody tr')).toHaveCount(3);
  await expect(page.getByRole('img', { name: /Payments per day in SRB, last 60 days/ })).toBeVisible();
  await expect(page.getByRole('img', { name: /Reconciliation cases not closed/ })).toBeVisible();
  await expect(page.getByRole('img', { name: /Mirror lag/ })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('dashboard-en.png'), fullPage: true });

  await page.getByRole('link', { name: /Waiting for Stripe/ }).click();
  await expect(page).toHaveURL(/\/transactions\?mirror_state=pending$/);
  await page.goBack();
  await page.locator('table.volume a').first().click();
  await expect(page).toHaveURL(/\/transactions\?kind=payment&currency=SRB&from=\d{4}-\d{2}-\d{2}$/);
  expect(trouble).toEqual([]);
});

test.describe('in Japanese', () => {
  test.use({ locale: 'ja-JP' });

  test('a Japanese browser gets Japanese, and the reader can choose language and time zone', async ({ page }, testInfo) => {
    const trouble = watchForTrouble(page);
    await page.goto('/');
    await expect(page).toHaveURL(/\/login/);
    await page.getByLabel('メールアドレス').fill(admin.email);
    await page.getByLabel('パスワード').fill(admin.password);
    await page.getByRole('button', { name: 'ログイン' }).click();
    await expect(page.getByRole('heading', { name: 'ダッシュボード' })).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'メニュー' })).toContainText('照合');
    await expect(page.getByRole('img', { name: /SRB の日別支払額/ })).toBeVisible();
    await expect(page.locator('.prefs summary')).toHaveText('日本語 · UTC+09:00');
    await page.screenshot({ path: testInfo.outputPath('dashboard-ja.png'), fullPage: true });

    // English in UTC, as the other tests read the demo admin.
    await page.locator('.prefs summary').click();
    await page.getByLabel('表示言語').selectOption('en');
    await page.getByLabel('タイムゾーン').selectOption('0');
    await page.getByRole('button', { name: '保存' }).click();
    await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(page.locator('.prefs summary')).toHaveText('English · UTC');
    expect(trouble).toEqual([]);
  });
});
