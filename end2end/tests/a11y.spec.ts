import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { admin, signIn, signInJapanese, watchForTrouble } from './session';

/** Every page of the console, and one of each detail page the demo data has. */
const PAGES = [
  '/', '/transactions', '/import', '/reconciliation', '/refunds', '/search?q=m', '/billing', '/billing/new',
  '/billing/subscriptions', '/billing/plans', '/billing/awaiting', '/billing/events', '/accounts', '/users', '/audit', '/settings',
];
const DETAILS: [string, string][] = [
  ['/transactions', 'table.side-by-side tbody tr a[href^="/transactions/"]'],
  ['/accounts', 'table.data tbody tr a[href^="/accounts/"]'],
  ['/reconciliation?state=open', 'table.cases tbody tr a.case-link'],
];

/** The serious and critical violations axe-core finds on the page as it stands. */
async function violations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`);
}

async function tour(page: Page, keys: string, shot: (path: string) => string) {
  const found: string[] = [];
  const visit = async (path: string) => {
    await page.goto(path);
    await expect(page.getByRole('button', { name: keys })).toBeEnabled();
    await page.waitForLoadState('networkidle');
    for (const v of await violations(page)) found.push(`${path}: ${v}`);
    await page.screenshot({ path: shot(path), fullPage: true });
  };
  for (const path of PAGES) await visit(path);
  for (const [list, link] of DETAILS) {
    await page.goto(list);
    const href = await page.locator(link).first().getAttribute('href', { timeout: 30_000 });
    if (href) await visit(href);
  }
  return found;
}

const file = (path: string) => path.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '') || 'dashboard';

test('every page has no serious accessibility violation, in English', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  const trouble = watchForTrouble(page);
  await signIn(page, admin.email, admin.password);
  const found = await tour(page, 'Keyboard shortcuts', (path) => testInfo.outputPath(`en-${file(path)}.png`));
  expect(found).toEqual([]);
  expect(trouble).toEqual([]);
});

test.describe('in Japanese', () => {
  test.use({ locale: 'ja-JP' });

  test('every page has no serious accessibility violation, in Japanese', async ({ page }, testInfo) => {
    test.setTimeout(120_000);
    const trouble = watchForTrouble(page);
    await signInJapanese(page, admin.email, admin.password);
    const found = await tour(page, 'キーボードショートカット', (path) => testInfo.outputPath(`ja-${file(path)}.png`));
    expect(found).toEqual([]);
    expect(trouble).toEqual([]);
  });
});
