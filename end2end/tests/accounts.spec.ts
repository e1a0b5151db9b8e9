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
