import { expect, type Page, test } from '@playwright/test';
import { fixOneOfEachKind, RECON_WORDS, stageBreaks } from './recon-journey';
import { addUser, admin, signIn, watchForTrouble } from './session';

// Journeys of each role, in English; journeys-ja.spec.ts has them in Japanese, and
// refunds.spec.ts and billing.spec.ts the support and billing ones in English. Every run shares
// one server and database, so what a journey makes carries this run's stamp.
const stamp = Date.now();

async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
}

test('an admin sets up a currency, edits it and its refund approval, and adds a support user who signs in', async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  const trouble = watchForTrouble(page);
  // Codes sort after SRB, so the demo currency stays the one pages offer first.
  const code = `ZE${String(stamp).slice(-5)}`;
  const support = { email: `support-setup-${stamp}@example.org`, name: 'Sue Setup', password: 'a support passphrase' };
  await signIn(page, admin.email, admin.password);

  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Keyboard shortcuts' })).toBeEnabled();
  const adding = page.locator('section.panel', { has: page.getByRole('heading', { name: 'Add a currency' }) });
  await adding.getByLabel('Code', { exact: true }).fill(code);
  await adding.getByLabel('Name', { exact: true }).fill('Hida Forest Points');
  await adding.getByLabel('Decimals').fill('2');
  await adding.getByLabel('Pegged to').fill('jpy');
  await adding.getByLabel('Rate (fiat per 1 unit)').fill('0.5');
  await adding.getByLabel('Stripe payment method type').fill(`cpmt_e2e_${stamp}`);
  await adding.getByLabel('Name on Payment Records').fill('Forest Points');
  await adding.getByRole('button', { name: 'Save currency' }).click();
  await expect(page.getByText('Currency saved.')).toBeVisible();
  await expect(adding.getByLabel('Code', { exact: true })).toHaveValue('');
  const row = page.locator(`tr[data-code="${code}"]`);
  for (const shown of ['Hida Forest Points', '2', 'JPY', '0.5', 'Forest Points', `cpmt_e2e_${stamp}`]) {
    await expect(row).toContainText(shown);
  }

  // The name on Payment Records and the rate change; the code cannot.
  await row.getByRole('link', { name: 'Edit' }).click();
  await expect(page).toHaveURL(new RegExp(`/settings\\?edit=${code}$`));
  const editing = page.locator('section.panel', { has: page.getByRole('heading', { name: `Edit ${code}` }) });
  await expect(editing.getByLabel('Code', { exact: true })).toHaveValue(code);
  await expect(editing.getByLabel('Code', { exact: true })).not.toBeEditable();
  await editing.getByLabel('Rate (fiat per 1 unit)').fill('0.55');
  await editing.getByLabel('Name on Payment Records').fill('Hida Forest Points');
  await editing.getByRole('button', { name: 'Save currency' }).click();
  await expect(page.getByText('Currency saved.')).toBeVisible();
  await expect(row).toContainText('0.55');
  await expect(row.locator('td').nth(5)).toContainText('Hida Forest Points');

  // Refunds above 100 of it wait for a second admin.
  const threshold = page.locator('form', { has: page.getByLabel(`${code} refunds above`) });
  await threshold.getByLabel(`${code} refunds above`).fill('100');
  await threshold.getByRole('button', { name: 'Save threshold' }).click();
  await expect(page.getByText('Threshold saved. It applies to refunds requested from now on.')).toBeVisible();
  await expect(page.getByLabel(`${code} refunds above`)).toHaveValue('100');
  await page.screenshot({ path: testInfo.outputPath('admin-settings.png'), fullPage: true });

  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Users' }).click();
  await addUser(page, support, 'support');
  await expect(page.locator(`tr[data-email="${support.email}"]`)).toContainText('support');
  await signOut(page);

  await signIn(page, support.email, support.password);
  await expect(page.locator('.who .badge')).toHaveText('support');
  await page.screenshot({ path: testInfo.outputPath('admin-setup-support.png'), fullPage: true });
  expect(trouble).toEqual([]);
});

test('an operator runs reconciliation and fixes one case of each fixable kind', async ({ page }, testInfo) => {
  // An import, five deliveries, two full re-scans and seven fixes.
  test.setTimeout(120_000);
  const trouble = watchForTrouble(page);
  const operator = { email: `operator-${stamp}@example.org`, name: 'Olga Operator', password: 'an operator passphrase' };
  await signIn(page, admin.email, admin.password);
  await addUser(page, operator, 'support');
  const staged = await stageBreaks(page, `e2e-recon-${stamp}`);
  await signOut(page);

  await signIn(page, operator.email, operator.password);
  await expect(page.locator('.who .badge')).toHaveText('support');
  await fixOneOfEachKind(page, staged, RECON_WORDS.en, operator.email);
  await page.screenshot({ path: testInfo.outputPath('operator-fixes.png'), fullPage: true });
  expect(trouble).toEqual([]);
});
