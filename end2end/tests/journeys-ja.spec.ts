import { expect, type Page, test } from '@playwright/test';
import { fixOneOfEachKind, RECON_WORDS, stageBreaks } from './recon-journey';
import { addUser, addUserInEnglish, admin, applyFix, FIX_WORDS, IMPORT_WORDS, importPayment, signIn, signInJapanese, watchForTrouble } from './session';

// The journeys of each role, read in Japanese (journeys.spec.ts, refunds.spec.ts and billing.spec.ts
// have them in English): every label, button and message the test finds by its Japanese text, so
// a page left in English or a key gone wrong fails here.
test.use({ locale: 'ja-JP' });

const stamp = Date.now();
const support = { email: `support-ja-${stamp}@example.org`, name: '佐藤 サポート', password: 'a support passphrase' };
const japaneseAdmin = { email: `admin-ja-${stamp}@example.org`, name: '高山 管理者', password: 'an admin passphrase' };
const payment = `e2e-ja-${stamp}`;

async function signOut(page: Page) {
  await page.getByRole('button', { name: 'ログアウト' }).click();
  await expect(page).toHaveURL(/\/login/);
}

test('an admin adds support and records a payment; support finds it and refunds part of it, in Japanese', async ({ browser, page }, testInfo) => {
  test.setTimeout(120_000);
  // The demo admin keeps the language other tests read it in: it only adds an admin of our own,
  // who has chosen no language, so the Japanese browser decides.
  await addUserInEnglish(browser, japaneseAdmin);

  const trouble = watchForTrouble(page);
  await signInJapanese(page, japaneseAdmin.email, japaneseAdmin.password);

  await page.getByRole('navigation', { name: 'メニュー' }).getByRole('link', { name: 'ユーザー' }).click();
  const form = page.locator('section.panel form');
  await form.getByLabel('メールアドレス').fill(support.email);
  await form.getByLabel('名前').fill(support.name);
  await form.getByLabel('役割').selectOption('support');
  await form.getByLabel('パスワード').fill(support.password);
  await form.getByRole('button', { name: '追加' }).click();
  await expect(page.locator(`tr[data-email="${support.email}"]`)).toContainText('サポート');

  // A file with a bad row is refused row by row in Japanese, the ledger's own words included.
  await page.goto('/import');
  await page.getByLabel(IMPORT_WORDS.ja.file).setInputFiles({
    name: 'bad.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(`external_ref,kind,currency,amount,from,to\n${payment}-bad,payment,SRB,12.5,member-001,shop-01\n`),
  });
  await page.getByRole('button', { name: IMPORT_WORDS.ja.upload }).click();
  await expect(page.getByRole('heading', { name: '受け付けられない行：1 行' })).toBeVisible({ timeout: 20_000 });
  await expect(page.locator('table.data').last()).toContainText('この通貨では小数を使えません');
  await page.screenshot({ path: testInfo.outputPath('import-refused-ja.png'), fullPage: true });

  await importPayment(page, payment, IMPORT_WORDS.ja);
  await signOut(page);

  await signInJapanese(page, support.email, support.password);
  await expect(page.locator('.who .badge')).toHaveText('サポート');
  await page.goto('/search?q=' + encodeURIComponent(`${payment}-pay`));
  await expect(page.getByRole('heading', { name: '検索' })).toBeVisible();
  await page.getByRole('link', { name: `${payment}-pay` }).first().click();
  await page.getByRole('button', { name: '返金', exact: true }).click();
  await page.getByLabel(/^金額/).fill('500');
  await page.getByRole('button', { name: '確認', exact: true }).click();
  await expect(page.getByRole('heading', { name: /^確認：/ })).toBeVisible();
  await expect(page.getByText('まだ何も反映されていません。')).toBeVisible();
  await page.getByRole('checkbox', { name: /この金額を今すぐ返金します/ }).check();
  await page.getByRole('button', { name: '今すぐ返金' }).click();
  await expect(page.getByRole('status').filter({ hasText: /計上済み|Stripe に報告済み/ })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('support-refund-ja.png'), fullPage: true });
  expect(trouble).toEqual([]);
});

test('an operator opens a break by keyboard, ignores it with a reason and reopens it, in Japanese', async ({ browser, page }) => {
  // Demo mode seeds breaks and reconciles them in the background after start-up.
  test.setTimeout(90_000);
  const operator = { email: `operator-ja-${stamp}@example.org`, name: '飛騨 照合', password: 'an operator passphrase' };
  await addUserInEnglish(browser, operator);
  const trouble = watchForTrouble(page);
  await signInJapanese(page, operator.email, operator.password);
  await page.goto('/reconciliation?state=open');
  await expect(page.getByRole('heading', { name: '照合', level: 1 })).toBeVisible();
  await expect(async () => {
    await page.reload();
    await expect(page.locator('table.cases tbody tr')).not.toHaveCount(0);
  }).toPass({ timeout: 45_000 });

  await expect(page.getByRole('button', { name: 'キーボードショートカット' })).toBeEnabled();
  await page.keyboard.press('j');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/reconciliation\/cases\/[^/]+$/);
  const state = page.locator('h1 .badge');
  await expect(state).toHaveText('未解決');

  await applyFix(page, '無視', FIX_WORDS.ja, `e2e: 既知の差異 ${stamp}`);
  await expect(state).toHaveText('無視');
  await expect(page.getByRole('heading', { name: '履歴' })).toBeVisible();
  await applyFix(page, '再オープン', FIX_WORDS.ja);
  await expect(state).toHaveText('未解決');
  expect(trouble).toEqual([]);
});

test('an admin sets up a currency, edits it and its refund approval, and adds a support user who signs in, in Japanese', async ({ browser, page }, testInfo) => {
  test.setTimeout(90_000);
  const setupAdmin = { email: `admin-setup-ja-${stamp}@example.org`, name: '古川 設定', password: 'an admin passphrase' };
  const setupSupport = { email: `support-setup-ja-${stamp}@example.org`, name: '国府 サポート', password: 'a support passphrase' };
  // Codes sort after SRB, so the demo currency stays the one pages offer first.
  const code = `ZJ${String(stamp).slice(-5)}`;
  await addUserInEnglish(browser, setupAdmin);
  const trouble = watchForTrouble(page);
  await signInJapanese(page, setupAdmin.email, setupAdmin.password);

  await page.getByRole('navigation', { name: 'メニュー' }).getByRole('link', { name: '設定' }).click();
  await expect(page.getByRole('heading', { name: '設定', level: 1 })).toBeVisible();
  await expect(page.getByRole('button', { name: 'キーボードショートカット' })).toBeEnabled();
  const adding = page.locator('section.panel', { has: page.getByRole('heading', { name: '通貨を追加' }) });
  await adding.getByLabel('コード', { exact: true }).fill(code);
  await adding.getByLabel('名前', { exact: true }).fill('飛騨の森ポイント');
  await adding.getByLabel('小数桁数').fill('2');
  await adding.getByLabel('ペッグ先').fill('jpy');
  await adding.getByLabel('ペッグレート（地域通貨1単位あたりの法定通貨額）').fill('0.5');
  await adding.getByLabel('Stripe の決済手段タイプ').fill(`cpmt_e2e_ja_${stamp}`);
  await adding.getByLabel('Payment Record に表示する名称').fill('森ポイント');
  // A refused field is named, and the refusal worded, in Japanese.
  await adding.getByLabel('コード', { exact: true }).fill('X');
  await adding.getByRole('button', { name: '通貨を保存' }).click();
  await expect(adding.getByRole('alert')).toHaveText('コード：SRB のように、2〜8文字の英数字で入力してください');
  // The refusal is a 422 answer, which Chromium logs as a failed resource: expected once, here.
  await expect.poll(() => trouble.findIndex((t) => t.includes('status of 422'))).toBeGreaterThanOrEqual(0);
  trouble.splice(trouble.findIndex((t) => t.includes('status of 422')), 1);
  await adding.getByLabel('コード', { exact: true }).fill(code);
  await adding.getByRole('button', { name: '通貨を保存' }).click();
  await expect(page.getByText('通貨を保存しました。')).toBeVisible();
  const row = page.locator(`tr[data-code="${code}"]`);
  for (const shown of ['飛騨の森ポイント', 'JPY', '0.5', '森ポイント', `cpmt_e2e_ja_${stamp}`]) {
    await expect(row).toContainText(shown);
  }

  await row.getByRole('link', { name: '編集' }).click();
  await expect(page).toHaveURL(new RegExp(`/settings\\?edit=${code}$`));
  const editing = page.locator('section.panel', { has: page.getByRole('heading', { name: `${code} を編集` }) });
  await expect(editing.getByLabel('コード', { exact: true })).toHaveValue(code);
  await expect(editing.getByLabel('コード', { exact: true })).not.toBeEditable();
  await editing.getByLabel('ペッグレート（地域通貨1単位あたりの法定通貨額）').fill('0.55');
  await editing.getByLabel('Payment Record に表示する名称').fill('飛騨の森ポイント');
  await editing.getByRole('button', { name: '通貨を保存' }).click();
  await expect(page.getByText('通貨を保存しました。')).toBeVisible();
  await expect(row).toContainText('0.55');
  await expect(row.locator('td').nth(5)).toContainText('飛騨の森ポイント');

  const threshold = page.locator('form', { has: page.getByLabel(`${code} の返金のしきい値`) });
  await threshold.getByLabel(`${code} の返金のしきい値`).fill('100');
  await threshold.getByRole('button', { name: 'しきい値を保存' }).click();
  await expect(page.getByText('しきい値を保存しました。これ以降に申請される返金から適用されます。')).toBeVisible();
  await expect(page.getByLabel(`${code} の返金のしきい値`)).toHaveValue('100');
  await page.screenshot({ path: testInfo.outputPath('admin-settings-ja.png'), fullPage: true });

  await page.getByRole('navigation', { name: 'メニュー' }).getByRole('link', { name: 'ユーザー' }).click();
  const form = page.locator('section.panel form');
  await form.getByLabel('メールアドレス').fill(setupSupport.email);
  await form.getByLabel('名前').fill(setupSupport.name);
  await form.getByLabel('役割').selectOption('support');
  await form.getByLabel('パスワード').fill(setupSupport.password);
  await form.getByRole('button', { name: '追加' }).click();
  await expect(page.locator(`tr[data-email="${setupSupport.email}"]`)).toContainText('サポート');
  await signOut(page);

  await signInJapanese(page, setupSupport.email, setupSupport.password);
  await expect(page.locator('.who .badge')).toHaveText('サポート');
  await page.screenshot({ path: testInfo.outputPath('admin-setup-support-ja.png'), fullPage: true });
  expect(trouble).toEqual([]);
});

test('an admin links a member, invoices two lines, finalizes, collects from the wallet and sees it paid, in Japanese', async ({ browser, page }, testInfo) => {
  // Four trips to the emulator and a delivery: longer than one page's test.
  test.setTimeout(120_000);
  // A demo member with coins whom neither demo mode (member-001 to member-003) nor another test
  // (billing.spec.ts: member-012, subscriptions.spec.ts: member-002) links to Stripe.
  const member = { ref: 'member-011', name: 'Aoi Yamada' };
  const billingAdmin = { email: `admin-billing-ja-${stamp}@example.org`, name: '宮川 請求', password: 'an admin passphrase' };
  await addUserInEnglish(browser, billingAdmin);
  const trouble = watchForTrouble(page);
  await signInJapanese(page, billingAdmin.email, billingAdmin.password);

  await page.goto(`/accounts?search=${member.ref}`);
  await page.getByRole('link', { name: member.name }).click();
  await expect(page.getByRole('heading', { name: 'Stripe 顧客', exact: true })).toBeVisible();
  await page.getByLabel('メールアドレス（任意）').fill('aoi@example.jp');
  await page.getByRole('checkbox', { name: /として Stripe に作成する/ }).check();
  await page.getByRole('button', { name: '顧客を作成' }).click();
  await expect(page.locator('.customer-link code')).toContainText('cus_', { timeout: 30_000 });

  await page.goto('/billing/new');
  await page.getByLabel('会員').selectOption({ label: `${member.name} (${member.ref})` });
  const lines = page.locator('table.lines tbody tr');
  await lines.nth(0).getByLabel('内容').fill('会費（12月分）');
  await lines.nth(0).getByLabel('単価').fill('500');
  await lines.nth(1).getByLabel('内容').fill('朝市の出店料');
  await lines.nth(1).getByLabel('数量').fill('2');
  await lines.nth(1).getByLabel('単価').fill('200');
  await expect(page.locator('table.lines tfoot')).toContainText('900 SRB');
  await expect(page.locator('table.lines tfoot')).toContainText('900 JPY');
  await page.getByRole('button', { name: '下書きを作成' }).click();
  await expect(page).toHaveURL(/\/billing\/invoices\//, { timeout: 20_000 });

  const finalize = page.locator('form', { has: page.getByRole('button', { name: '確定', exact: true }) });
  await finalize.getByRole('checkbox', { name: '確認しました' }).check({ timeout: 30_000 });
  await finalize.getByRole('button', { name: '確定', exact: true }).click();
  await expect(page.locator('h1 .badge')).toHaveText('未払い', { timeout: 30_000 });

  await page.getByRole('button', { name: '回収内容を確認' }).click();
  await expect(page.getByText('台帳では')).toBeVisible();
  await expect(page.locator('.collect')).toContainText('900 SRB');
  await page.getByRole('checkbox', { name: 'ウォレットから引き落として請求書を支払う' }).check();
  await page.getByRole('button', { name: '回収', exact: true }).click();
  await expect(page.locator('h1 .badge')).toHaveText('支払い済み', { timeout: 45_000 });
  await expect(page.locator('table.data').filter({ hasText: 'Payment Record' })).toContainText('pr_');

  await page.goto(`/billing?account=${member.ref}`);
  await expect(page.locator('table.invoices')).toContainText('支払い済み');
  await page.screenshot({ path: testInfo.outputPath('admin-billing-ja.png'), fullPage: true });
  expect(trouble).toEqual([]);
});

test('an operator runs reconciliation and fixes one case of each fixable kind, in Japanese', async ({ browser, page }, testInfo) => {
  // An import, five deliveries, two full re-scans and seven fixes.
  test.setTimeout(120_000);
  const operator = { email: `operator-fix-ja-${stamp}@example.org`, name: '白川 照合', password: 'an operator passphrase' };
  // The demo admin, in English, adds the operator (support) and stages the breaks.
  const english = await browser.newContext({ locale: 'en-US' });
  const setup = await english.newPage();
  const setupTrouble = watchForTrouble(setup);
  await signIn(setup, admin.email, admin.password);
  await addUser(setup, operator, 'support');
  const staged = await stageBreaks(setup, `e2e-recon-ja-${stamp}`);
  await english.close();

  const trouble = watchForTrouble(page);
  await signInJapanese(page, operator.email, operator.password);
  await expect(page.locator('.who .badge')).toHaveText('サポート');
  await fixOneOfEachKind(page, staged, RECON_WORDS.ja, operator.email);
  await page.screenshot({ path: testInfo.outputPath('operator-fixes-ja.png'), fullPage: true });
  expect([...setupTrouble, ...trouble]).toEqual([]);
});
