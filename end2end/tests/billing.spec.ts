import { expect, test } from '@playwright/test';
import { admin, signIn, watchForTrouble } from './session';

// A demo member with coins whom demo mode does not link (it links member-001 to member-003).
const member = { ref: 'member-012', name: 'Kaito Sasaki' };

test('an admin links a member, invoices two lines, finalizes, collects from the wallet and sees it paid', async ({ page }) => {
  const trouble = watchForTrouble(page);
  // Four trips to the emulator and a delivery: longer than one page's test.
  test.setTimeout(120_000);
  await signIn(page, admin.email, admin.password);

  // Link the member to a new Stripe customer from their account page.
  await page.goto(`/accounts?search=${member.ref}`);
  await page.getByRole('link', { name: member.name }).click();
  await expect(page.getByRole('heading', { name: 'Stripe customer', exact: true })).toBeVisible();
  await page.getByLabel('Email (optional)').fill('kaito@example.jp');
  await page.getByRole('checkbox', { name: /Create it in Stripe as/ }).check();
  await page.getByRole('button', { name: 'Create customer' }).click();
  await expect(page.locator('.customer-link code')).toContainText('cus_', { timeout: 30_000 });

  // A draft with two lines; the total shows in local currency and fiat as it is typed.
  await page.goto('/billing/new');
  await page.getByLabel('Member').selectOption({ label: `${member.name} (${member.ref})` });
  const lines = page.locator('table.lines tbody tr');
  await lines.nth(0).getByLabel('Description').fill('Membership, December');
  await lines.nth(0).getByLabel('Unit price').fill('500');
  await lines.nth(1).getByLabel('Description').fill('Market stall');
  await lines.nth(1).getByLabel('Quantity').fill('2');
  await lines.nth(1).getByLabel('Unit price').fill('200');
  await expect(page.locator('table.lines tfoot')).toContainText('900 SRB');
  await expect(page.locator('table.lines tfoot')).toContainText('900 JPY');
  await page.getByRole('button', { name: 'Create draft' }).click();
  await expect(page).toHaveURL(/\/billing\/invoices\//, { timeout: 20_000 });

  // Finalize once Stripe has the draft (the page asks again by itself).
  const finalize = page.locator('form', { has: page.getByRole('button', { name: 'Finalize' }) });
  await finalize.getByRole('checkbox', { name: 'I am sure' }).check({ timeout: 30_000 });
  await finalize.getByRole('button', { name: 'Finalize' }).click();
  await expect(page.locator('h1 .badge')).toHaveText('open', { timeout: 30_000 });

  // Collect from the wallet: review, confirm, and the invoice turns paid.
  await page.getByRole('button', { name: 'Review the collection' }).click();
  await expect(page.getByText('In the ledger')).toBeVisible();
  await expect(page.locator('.collect')).toContainText('900 SRB');
  await page.getByRole('checkbox', { name: 'Debit the wallet and pay the invoice' }).check();
  await page.getByRole('button', { name: 'Collect', exact: true }).click();
  await expect(page.locator('h1 .badge')).toHaveText('paid', { timeout: 45_000 });
  await expect(page.locator('table.data').filter({ hasText: 'Payment Record' })).toContainText('pr_');

  // The billing page lists it as paid.
  await page.goto(`/billing?account=${member.ref}`);
  await expect(page.locator('table.invoices')).toContainText('paid');
  expect(trouble).toEqual([]);
});
