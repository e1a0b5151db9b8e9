import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { admin, signIn } from './session';

test('the demo ledger is shown beside Stripe, and a payment opens on its Payment Record', async ({ page }) => {
  await signIn(page, admin.email, admin.password);
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Transactions' }).click();
  await page.getByLabel('Kind').selectOption('payment');
  await page.getByLabel('Stripe').selectOption('delivered');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/kind=payment/);
  // Demo mode mirrors its ledger into the emulator in the background: wait for a delivery.
  await expect(async () => {
    await page.reload();
    await expect(page.locator('table.side-by-side tbody tr').first()).toContainText('pr_');
  }).toPass({ timeout: 20_000 });
  // The export holds the rows the filters chose, whatever page the list is on.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
  expect(download.suggestedFilename()).toBe('regio-transactions.csv');
  const [header, ...rows] = readFileSync(await download.path(), 'utf8').trim().split('\n');
  expect(header).toMatch(/^transaction_id,occurred_at,kind,/);
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) expect(row).toMatch(/,payment,.*,delivered,pr_/);
  await page.locator('table.side-by-side tbody tr td a').first().click();
  await expect(page.getByRole('heading', { name: 'Stripe', exact: true })).toBeVisible();
  await expect(page.locator('dl.facts').nth(1)).toContainText('Guaranteed');
  await expect(page.getByRole('heading', { name: /Delivery to Stripe/ })).toContainText('delivered');
  await expect(page.getByRole('heading', { name: 'Timeline' })).toBeVisible();
});

test('a CSV file with a bad row is checked and refused before anything is recorded', async ({ page }) => {
  await signIn(page, admin.email, admin.password);
  await page.goto('/import');
  await page.getByLabel('CSV file').setInputFiles({
    name: 'bad.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('external_ref,kind,currency,amount,from,to\ne2e-1,payment,SRB,12.5,member-001,shop-01\n'),
  });
  await page.getByRole('button', { name: 'Upload and check' }).click();
  await expect(page.getByRole('heading', { name: '1 row(s) refused' })).toBeVisible({ timeout: 20_000 });
  await expect(page.locator('table.data').last()).toContainText('amount');
  await expect(page.getByRole('button', { name: 'Commit import' })).toHaveCount(0);
});

test('the keys move through a list, open a row and list themselves', async ({ page }) => {
  await signIn(page, admin.email, admin.password);
  await page.goto('/transactions');
  const keys = page.getByRole('button', { name: 'Keyboard shortcuts' });
  await expect(keys).toBeEnabled();
  const rows = page.locator('table.side-by-side tbody tr');
  const links = { nth: (i: number) => rows.nth(i).locator('a[href]').first() };
  await expect(links.nth(1)).toBeVisible();

  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toBeVisible();
  await expect(help).toContainText('Next row of the list');
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();
  await expect(keys).toBeEnabled();

  await page.keyboard.press('j');
  await expect(links.nth(0)).toBeFocused();
  await page.keyboard.press('j');
  await expect(links.nth(1)).toBeFocused();
  await page.keyboard.press('k');
  await expect(links.nth(0)).toBeFocused();
  const href = await links.nth(0).getAttribute('href');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`${href}$`));

  await page.goBack();
  await page.keyboard.press('/');
  await expect(page.getByRole('searchbox', { name: 'Search transactions' })).toBeFocused();
});
