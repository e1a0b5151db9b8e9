import { expect, test, type Page } from '@playwright/test';
import { admin, signIn, watchForTrouble } from './session';

// A demo member linked to a Stripe customer on the demo's test clock, with coins to pay 130 SRB.
const member = { ref: 'member-002', name: 'Haruto Suzuki' };

/** Reloads `path` until `check` passes: renewals arrive by webhook, not by a page action. */
async function eventually(page: Page, path: string, check: () => Promise<void>) {
  await expect(async () => {
    await page.goto(path);
    await check();
  }).toPass({ timeout: 60_000, intervals: [1_000, 2_000] });
}

test('an admin creates a plan, subscribes a member, advances the demo clock a month and sees both invoices collected', async ({ page }) => {
  const trouble = watchForTrouble(page);
  test.setTimeout(180_000);
  await signIn(page, admin.email, admin.password);
  // Demo mode stages billing in the background after start: its members, clock and subscriptions.
  await eventually(page, '/billing/subscriptions', async () => {
    await expect(page.locator('.test-clock')).toBeVisible({ timeout: 1_000 });
    await expect(page.getByText('3 subscription(s)')).toBeVisible({ timeout: 1_000 });
  });

  // A monthly plan of 130 SRB: its product and price are made in Stripe by the billing worker.
  await page.goto('/billing/plans');
  await page.getByText('New plan').click();
  await page.getByLabel('Name').fill('Newsletter');
  await page.getByLabel('Price per period').fill('130');
  await page.getByLabel('Every').selectOption('month');
  await page.getByRole('button', { name: 'Create plan' }).click();
  const plan = page.locator('table.plans tr', { hasText: 'Newsletter' });
  await expect(plan.locator('.badge')).toHaveText('active', { timeout: 30_000 });
  await expect(plan).toContainText('price_');

  // Subscribe the member, starting now.
  await page.goto('/billing/subscriptions');
  // The list re-renders once hydrated and its resources answer; open the form after that.
  await page.waitForLoadState('networkidle');
  const form = page.locator('details', { hasText: 'Subscribe a member' });
  await form.getByText('Subscribe a member').click();
  await form.locator('select[name="account_id"]').selectOption({ label: `${member.name} (${member.ref})` });
  const option = form.locator('select[name="plan_id"] option', { hasText: 'Newsletter' });
  await form.locator('select[name="plan_id"]').selectOption((await option.getAttribute('value')) ?? '');
  await form.getByRole('checkbox', { name: 'Each period is paid from the wallet' }).check();
  await form.getByRole('button', { name: 'Subscribe' }).click();
  await expect(page.getByText('Subscribed:')).toBeVisible();

  // The first invoice is collected from the wallet and the subscription turns active.
  const row = () => page.locator('table.subscriptions tr', { hasText: 'Newsletter' });
  await eventually(page, `/billing/subscriptions?account=${member.ref}`, async () => {
    await expect(row().locator('.badge').first()).toHaveText('active', { timeout: 1_000 });
  });
  const paidNewsletters = () => page.locator('table.invoices tbody tr', { hasText: '130 SRB' }).filter({ hasText: 'paid' });
  await eventually(page, `/billing?account=${member.ref}`, async () => {
    await expect(paidNewsletters()).toHaveCount(1, { timeout: 1_000 });
  });

  // A month later on the demo clock: Stripe bills the renewal and Regio collects it unasked.
  await page.goto('/billing/subscriptions');
  await page.waitForLoadState('networkidle');
  const clock = page.locator('.test-clock');
  const before = await clock.locator('[data-clock]').innerText();
  await clock.getByRole('checkbox', { name: 'Renewals due by then are billed and collected' }).check();
  await clock.getByRole('button', { name: 'Advance one month' }).click();
  await expect(page.getByText('Stripe billed the renewals')).toBeVisible({ timeout: 30_000 });
  await expect(clock.locator('[data-clock]')).not.toHaveText(before);
  await eventually(page, `/billing?account=${member.ref}`, async () => {
    await expect(paidNewsletters()).toHaveCount(2, { timeout: 1_000 });
  });
  expect(trouble).toEqual([]);
});
