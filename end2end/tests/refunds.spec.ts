import { expect, type Page, test } from '@playwright/test';
import { addUser, admin, IMPORT_WORDS, importPayment, signIn, watchForTrouble } from './session';

const stamp = Date.now();
const support = { email: `support-${stamp}@example.org`, name: 'Sam Support', password: 'a support passphrase' };
const payment = `e2e-refund-${stamp}`;

async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
}

/** Reviews a refund of `amount` in the transaction page's dialog, then confirms it. */
async function refund(page: Page, amount: string, button: 'Refund now' | 'Request approval') {
  await page.getByRole('button', { name: 'Refund', exact: true }).click();
  await page.getByLabel(/^Amount/).fill(amount);
  await page.getByRole('button', { name: 'Review' }).click();
  await expect(page.getByRole('heading', { name: /^Review:/ })).toBeVisible();
  await expect(page.getByText('Nothing has moved yet.')).toBeVisible();
  await page.getByRole('checkbox', { name: /Refund this amount now|Send this refund for approval/ }).check();
  await page.getByRole('button', { name: button }).click();
}

test('support finds a payment by its reference, refunds part of it, and a large refund waits for an admin', async ({ page }) => {
  // Three sign-ins, an import and a delivery to the emulator: longer than one page's test.
  test.setTimeout(120_000);
  const trouble = watchForTrouble(page);
  // The admin adds a support user and records a payment of 3,000 SRB through a CSV import.
  await signIn(page, admin.email, admin.password);
  await addUser(page, support, 'support');
  await importPayment(page, payment, IMPORT_WORDS.en);
  await signOut(page);

  // Support finds it from the top bar (`/` focuses the box) and refunds 500 of it.
  await signIn(page, support.email, support.password);
  // The key works once the page has hydrated.
  const searchBox = page.getByRole('searchbox', { name: 'Search transactions' });
  await expect(async () => {
    await page.keyboard.press('/');
    await expect(searchBox).toBeFocused({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await page.keyboard.type(`${payment}-pay`);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Search' })).toBeVisible();
  await page.getByRole('link', { name: `${payment}-pay` }).first().click();
  await expect(page.getByRole('heading', { name: 'Refunds', exact: true })).toBeVisible();
  await refund(page, '500', 'Refund now');
  await expect(page.getByRole('status').filter({ hasText: /Posted|Reported/ })).toBeVisible();

  // The mirror reports it to Stripe in the background.
  await page.goto(`/refunds?account=shop-01&stage=reported`);
  await expect(async () => {
    await page.reload();
    await expect(page.locator('table.data tbody')).toContainText(`${payment}-pay`);
  }).toPass({ timeout: 30_000 });

  // 2,500 is above the demo's threshold of 2,000: it waits, reserving its amount.
  await page.goto('/search?q=' + encodeURIComponent(`${payment}-pay`));
  await page.getByRole('link', { name: `${payment}-pay` }).first().click();
  await refund(page, '2500', 'Request approval');
  await expect(page.getByRole('status').filter({ hasText: 'Pending approval' })).toBeVisible();
  await signOut(page);

  // Another person, the admin, approves it.
  await signIn(page, admin.email, admin.password);
  await page.goto('/refunds');
  const pending = page.locator('section.approvals').locator('li, tr, article').filter({ hasText: `${payment}-pay` }).first();
  await expect(pending).toBeVisible();
  await pending.getByRole('checkbox', { name: /Post it/ }).check();
  await pending.getByRole('button', { name: 'Approve' }).click();
  await page.goto(`/refunds?account=shop-01`);
  await expect(page.locator('table.data tbody tr').filter({ hasText: `${payment}-pay` })).toHaveCount(2);
  expect(trouble).toEqual([]);
});
