import { expect, test } from '@playwright/test';
import { admin, applyFix, FIX_WORDS, signIn, watchForTrouble } from './session';

test('a break is found from the summary, opened by keyboard, ignored with a reason, and reopened', async ({ page }) => {
  const trouble = watchForTrouble(page);
  // Demo mode seeds breaks and reconciles them in the background after start-up.
  test.setTimeout(90_000);
  await signIn(page, admin.email, admin.password);

  await page.goto('/reconciliation?state=open');
  await expect(page.getByRole('heading', { name: 'Reconciliation', level: 1 })).toBeVisible();
  // The grand total of the summary is a link only when there is at least one live case.
  await expect(async () => {
    await page.reload();
    await expect(page.locator('table.recon-summary tfoot a')).not.toHaveCount(0);
    await expect(page.locator('table.cases tbody tr')).not.toHaveCount(0);
  }).toPass({ timeout: 45_000 });

  // The keys work once the page has hydrated, and the top bar's keys button says so.
  await expect(page.getByRole('button', { name: 'Keyboard shortcuts' })).toBeEnabled();
  await page.keyboard.press('j');
  await expect(page.locator('table.cases tbody tr').first().locator('a.case-link')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/reconciliation\/cases\/[^/]+$/);

  const state = page.locator('h1 .badge');
  await expect(state).toHaveText('open');
  await expect(page.locator('p.explanation')).not.toBeEmpty();
  await expect(page.locator('table.diff tr.differs, p.explanation').first()).toBeVisible();

  const history = page.locator('section.panel', { has: page.getByRole('heading', { name: 'History' }) });
  const eventsBefore = await history.locator('li').count();
  const reason = `e2e: known difference ${Date.now()}`;
  await applyFix(page, 'Ignore', FIX_WORDS.en, reason);
  await expect(state).toHaveText('ignored');
  await expect.poll(() => history.locator('li').count()).toBeGreaterThan(eventsBefore);

  await applyFix(page, 'Reopen', FIX_WORDS.en);
  await expect(state).toHaveText('open');
  await expect(page.locator('.fix-choices').getByRole('button', { name: 'Ignore', exact: true })).toBeVisible();
  expect(trouble).toEqual([]);
});
