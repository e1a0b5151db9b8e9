import { expect, type Page } from '@playwright/test';
import { applyFix, FIX_WORDS, IMPORT_WORDS, importRows, stripeDashboard } from './session';

// The reconciliation journey both languages run: breaks of its own staged in the ledger and in
// Stripe, one full re-scan, one fix of each kind, and a second re-scan that closes what the fixes
// mended. Other tests use demo mode's staged cases, which this journey leaves alone.

/** One staged payment: its ledger transaction and the Payment Record Regio reported for it. */
type Staged = { reference: string; transaction: string; record: string; yen: number };

export type StagedBreaks = {
  /** Its record deleted in Stripe: missing in Stripe, fixed by reporting it again. */
  missing: Staged;
  /** Refunded 500 in the ledger; its record replaced by one entered by hand without the refund:
   * a refund mismatch with Stripe short, fixed by reporting the missing refund. */
  refund: Staged;
  /** Entered a second time by hand, naming the transaction: a duplicate, refunded. */
  duplicate: Staged;
  /** Its record deleted and entered again by hand without a reference: an orphan in Stripe,
   * linked to it, the link undone, then ignored and reopened. */
  link: Staged & { orphan: string };
  /** Its amount lowered by 100 in Stripe: an amount mismatch, fixed by a ledger adjustment. */
  amount: Staged;
};

/** Opens the transaction whose reference is `reference` from the search page and waits for
 * Regio to have reported it to Stripe; returns its id and its Payment Record's. */
async function reported(page: Page, reference: string, yen: number): Promise<Staged> {
  await page.goto('/search?q=' + encodeURIComponent(reference));
  await page.getByRole('link', { name: reference, exact: true }).first().click();
  await expect(page).toHaveURL(/\/transactions\/[^/?#]+$/);
  const transaction = new URL(page.url()).pathname.split('/').pop() ?? '';
  const record = page.locator('dd code').filter({ hasText: /^pr_/ });
  await expect(async () => {
    await page.reload();
    await expect(record).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 45_000 });
  return { reference, transaction, record: (await record.textContent())?.trim() ?? '', yen };
}

/** An admin (signed in on `page`, in English) records five payments and a refund through a CSV
 * import and waits for Stripe to have them; then, as a Dashboard user would, the test changes
 * their Payment Records directly on the emulator. */
export async function stageBreaks(page: Page, tag: string): Promise<StagedBreaks> {
  // Demo mode stages its own breaks on the newest payments once its ledger has reached Stripe,
  // then reconciles (a run by "demo"): payments recorded before that could be the ones it breaks.
  await page.goto('/reconciliation');
  const demoRun = page.locator('table.runs tbody tr').filter({ has: page.locator('td:nth-child(2)', { hasText: /^demo$/ }) });
  await expect(async () => {
    await page.reload();
    await expect(demoRun.locator('[data-run="succeeded"]')).toHaveCount(1, { timeout: 2_000 });
  }).toPass({ timeout: 60_000 });

  const yen = { missing: 1100, refund: 1200, duplicate: 1300, link: 1400, amount: 1500 };
  const payments = Object.entries(yen).map(([name, amount]) => `${tag}-${name},payment,SRB,${amount},member-001,shop-01,`);
  const csv = [
    'external_ref,kind,currency,amount,from,to,refund_of',
    `${tag}-top-up,top_up,SRB,10000,issuer,member-001,`,
    ...payments,
    `${tag}-refund-back,refund,SRB,500,,,${tag}-refund`,
  ].join('\n') + '\n';
  await importRows(page, csv, IMPORT_WORDS.en);

  const missing = await reported(page, `${tag}-missing`, yen.missing);
  const duplicate = await reported(page, `${tag}-duplicate`, yen.duplicate);
  const link = await reported(page, `${tag}-link`, yen.link);
  const amount = await reported(page, `${tag}-amount`, yen.amount);
  const refund = await reported(page, `${tag}-refund`, yen.refund);
  // The refund reaches Stripe after its payment.
  const refundRow = page.locator('table.data tbody tr', { hasText: `${tag}-refund-back` });
  await expect(async () => {
    await page.reload();
    await expect(refundRow).toContainText('delivered', { timeout: 2_000 });
  }).toPass({ timeout: 45_000 });

  await stripeDashboard.remove(missing.record);
  await stripeDashboard.remove(refund.record);
  await stripeDashboard.reportByHand(refund.yen, refund.transaction);
  await stripeDashboard.reportByHand(duplicate.yen, duplicate.transaction);
  await stripeDashboard.remove(link.record);
  const orphan = await stripeDashboard.reportByHand(link.yen);
  await stripeDashboard.edit(amount.record, { amount_requested: String(amount.yen - 100) });
  return { missing, refund, duplicate, link: { ...link, orphan }, amount };
}

/** The reconciliation pages' words in one language. */
export const RECON_WORDS = {
  en: {
    heading: 'Reconciliation', keys: 'Keyboard shortcuts', fullRescan: 'Full re-scan',
    state: { open: 'open', ignored: 'ignored', closed: 'closed' },
    class: { missing: 'Missing in Stripe', refund: 'Refund mismatch', duplicate: 'Duplicate in Stripe', orphan: 'Orphan in Stripe', amount: 'Amount mismatch' },
    fix: {
      reportPayment: 'Report the payment to Stripe', reportRefund: 'Report the missing refund to Stripe',
      refundDuplicate: 'Refund the duplicate record in Stripe', link: 'Link to a ledger transaction', unlink: 'Undo the link',
      adjust: 'Post a ledger adjustment', ignore: 'Ignore', reopen: 'Reopen',
    },
    reasons: { adjust: 'Stripe holds the amount the shop confirmed', unlink: 'linked to the wrong payment', ignore: 'the member is asked about it' },
    history: 'History',
    fixWords: FIX_WORDS.en,
  },
  ja: {
    heading: '照合', keys: 'キーボードショートカット', fullRescan: '全件を再スキャン',
    state: { open: '未解決', ignored: '無視', closed: 'クローズ済み' },
    class: { missing: 'Stripe に記録なし', refund: '返金の不一致', duplicate: 'Stripe で重複', orphan: 'Stripe にのみ記録あり', amount: '金額の不一致' },
    fix: {
      reportPayment: '支払いを Stripe に報告', reportRefund: '未報告の返金を Stripe に報告',
      refundDuplicate: 'Stripe の重複した記録を返金', link: '台帳の取引に紐付け', unlink: '紐付けを解除',
      adjust: '台帳に調整を計上', ignore: '無視', reopen: '再オープン',
    },
    reasons: { adjust: '店舗が確認した金額が Stripe 側にある', unlink: '別の支払いに紐付けてしまった', ignore: '会員に確認中' },
    history: '履歴',
    fixWords: FIX_WORDS.ja,
  },
};
type ReconWords = (typeof RECON_WORDS)['en'];

/** Starts a full re-scan from the reconciliation page and waits until `email`'s `nth` run has
 * succeeded. */
async function fullRescan(page: Page, words: ReconWords, email: string, nth: number) {
  await page.goto('/reconciliation');
  await expect(page.getByRole('heading', { name: words.heading, level: 1 })).toBeVisible();
  // The button works once the page has hydrated, and one run goes at a time.
  await expect(page.getByRole('button', { name: words.keys })).toBeEnabled();
  await expect(page.locator('.run-progress')).toHaveCount(0, { timeout: 60_000 });
  await page.getByRole('button', { name: words.fullRescan }).click();
  const mine = page.locator('table.runs tbody tr', { hasText: email }).filter({ has: page.locator('[data-run="succeeded"]') });
  await expect(async () => {
    await page.reload();
    await expect(mine).toHaveCount(nth, { timeout: 2_000 });
  }).toPass({ timeout: 60_000 });
}

/** Opens, from the queue filtered to `className`, the case of the row that `row` picks. */
async function openCase(page: Page, className: string, row: string, words: ReconWords) {
  await page.goto(`/reconciliation?class=${className}`);
  const line = page.locator(`table.cases tbody tr:has(${row})`);
  await expect(line).toHaveCount(1);
  await line.locator('a.case-link').click();
  await expect(page).toHaveURL(/\/reconciliation\/cases\/[^/]+$/);
  await expect(page.locator('h1 .badge')).toHaveText(words.state.open);
  return page.url();
}

const ofTransaction = (s: Staged) => `a[href="/transactions/${s.transaction}"]`;

/** Signed in on `page` as `email` (support or admin): runs reconciliation, applies one fix of
 * each kind to the staged breaks, runs it again and sees the mended cases closed. */
export async function fixOneOfEachKind(page: Page, staged: StagedBreaks, words: ReconWords, email: string) {
  const state = page.locator('h1 .badge');
  const fix = words.fixWords;
  await fullRescan(page, words, email, 1);

  // Missing in Stripe: report the payment again (a new idempotency key; the old record is gone).
  const missing = await openCase(page, 'missing_in_stripe', ofTransaction(staged.missing), words);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(words.class.missing);
  await applyFix(page, words.fix.reportPayment, fix);

  // Refund mismatch, Stripe short of the ledger: report the missing refund.
  const refund = await openCase(page, 'refund_mismatch', ofTransaction(staged.refund), words);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(words.class.refund);
  await applyFix(page, words.fix.reportRefund, fix);

  // Duplicate in Stripe: refund the record entered by hand, keeping the one Regio reported.
  const duplicate = await openCase(page, 'duplicate_in_stripe', ofTransaction(staged.duplicate), words);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(words.class.duplicate);
  await applyFix(page, words.fix.refundDuplicate, fix);

  // Amount mismatch: post a ledger adjustment of the difference, with a reason.
  const amount = await openCase(page, 'amount_mismatch', ofTransaction(staged.amount), words);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(words.class.amount);
  await applyFix(page, words.fix.adjust, fix, words.reasons.adjust);

  // Orphan in Stripe: link it to the payment it stands for; the case closes. Then undo the
  // link (the case reopens), ignore it with a reason, and reopen it.
  await openCase(page, 'orphan_in_stripe', `code[title="${staged.link.orphan}"]`, words);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(words.class.orphan);
  await applyFix(page, words.fix.link, fix, undefined, staged.link.transaction);
  await expect(state).toHaveText(words.state.closed);
  await applyFix(page, words.fix.unlink, fix, words.reasons.unlink);
  await expect(state).toHaveText(words.state.open);
  await applyFix(page, words.fix.ignore, fix, words.reasons.ignore);
  await expect(state).toHaveText(words.state.ignored);
  await applyFix(page, words.fix.reopen, fix);
  await expect(state).toHaveText(words.state.open);
  await expect(page.getByRole('heading', { name: words.history })).toBeVisible();

  // Once the fixes have reached Stripe, a run finds those breaks gone and closes their cases.
  let runs = 1;
  await expect(async () => {
    runs += 1;
    await fullRescan(page, words, email, runs);
    for (const url of [missing, refund, duplicate, amount]) {
      await page.goto(url);
      await expect(state).toHaveText(words.state.closed, { timeout: 2_000 });
    }
  }).toPass({ timeout: 60_000, intervals: [1_000] });
}
