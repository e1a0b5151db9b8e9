import { expect, test } from '@playwright/test';
import { admin, signIn } from './session';

test('admin opens an account, finds it listed, and freezes it only once confirmed', async ({ page }) => {
  const stamp = Date.now();
  const name = `E2E Member ${stamp}`;
  const reference = `e2e-${stamp}`;
  await signIn(page, admin.email, admin.password);

  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Accounts' }).click();
  await expect(page.getByRole('heading', { name: 'Accounts', level: 1 })).toBeVisible();
  const form = page.locator('section.panel form');
  await form.getByLabel('Kind').selectOption('member');
  await form.getByLabel('Display name').fill(name);
  await form.getByLabel('Reference').fill(reference);
  await form.getByRole('button', { name: 'Open account' }).click();
  const row = page.locator(`tr[data-ref="${reference}"]`);
  await expect(row).toContainText(name);
  await expect(row.locator('.badge')).toHaveText('active');

  await row.getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
  const status = page.locator('dl.facts .badge');
  await expect(status).toHaveText('active');

  // Unconfirmed, the browser holds the form back (the server would refuse it too).
  const freeze = page.locator('form', { has: page.getByRole('button', { name: 'Freeze account' }) });
  await freeze.getByRole('button', { name: 'Freeze account' }).click();
  await expect(freeze.locator('input[name="confirm"]:invalid')).toHaveCount(1);
  await page.reload();
  await expect(status).toHaveText('active');

  await page.getByLabel(/I understand/).check();
  await page.getByRole('button', { name: 'Freeze account' }).click();
  await expect(status).toHaveText('frozen');
  await expect(page.getByRole('button', { name: 'Unfreeze account' })).toBeVisible();
});

test('a statement shows a period in the order money moved, pages on with its running balance, and downloads whole', async ({ page }) => {
  await signIn(page, admin.email, admin.password);
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Accounts' }).click();
  await page.locator('tr[data-ref="shop-04"]').getByRole('link').first().click();
  await expect(page.getByRole('heading', { name: 'Sanmachi Sake', level: 1 })).toBeVisible();

  // This month by default; then everything since 2000 (the demo's 60 days of history).
  const period = page.getByRole('form', { name: 'Statement period' });
  await expect(period.getByLabel('From')).toHaveValue(/^\d{4}-\d{2}-01$/);
  await period.getByLabel('From').fill('2000-01-01');
  await period.getByRole('button', { name: 'Show' }).click();
  await expect(page).toHaveURL(/from=2000-01-01/);
  const totals = page.locator('table.statement-totals tr[data-currency="SRB"]');
  await expect(totals.locator('td').first()).toHaveText('0');
  const closing = Number(await totals.locator('td').nth(3).innerText());

  const cells = (row: number, column: number) => page.locator('table.statement tbody tr').nth(row).locator('td').nth(column).innerText();
  const number = (text: string) => Number(text.replace(/ SRB$/, ''));
  const lastOnFirstPage = number(await cells(49, 6));
  const times = await page.locator('table.statement tbody tr td:first-child > time').evaluateAll((cells) => cells.map((c) => Date.parse(c.getAttribute('datetime') ?? '')));
  expect(times.every((t) => !Number.isNaN(t))).toBe(true);
  expect([...times].sort((a, b) => a - b)).toEqual(times);

  await page.getByRole('link', { name: 'Later →' }).click();
  await expect(page).toHaveURL(/after=/);
  expect(number(await cells(0, 6))).toBe(lastOnFirstPage + number(await cells(0, 5)));
  await expect(page.getByRole('link', { name: '← Start of period' })).toBeVisible();

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
  const csv = (await (await download.createReadStream()).toArray()).join('').trim().split('\n');
  expect(csv[0]).toBe('occurred_at,recorded_at,transaction_id,kind,counterparty_ref,counterparty,description,currency,amount,balance');
  expect(csv[1]).toMatch(/^2000-01-01,,,opening_balance,,,,SRB,,0$/);
  expect(csv[csv.length - 1]).toMatch(new RegExp(`,closing_balance,,,,SRB,,${closing}$`));
});
