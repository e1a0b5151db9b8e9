// Full-page screenshots of pages of a running demo Regio, signed in as the demo admin, to look
// at what a change did: `node end2end/shot.mjs http://127.0.0.1:3000 /tmp/shots /accounts /reconciliation`.
// Each path gives `<n>.png` and, as printed, `<n>-print.png`. `SHOT_LOCALE=ja-JP` asks for
// Japanese, as a Japanese browser does.
import { chromium } from 'playwright';

const [base, out, ...paths] = process.argv.slice(2);
if (!base || !out || paths.length === 0) {
  console.error('usage: node end2end/shot.mjs BASE_URL OUT_DIR PATH...');
  process.exit(2);
}
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: process.env.SHOT_LOCALE ?? 'en-US' });
await page.goto(`${base}/login`);
await page.locator('input[name=email]').fill('admin@regio.local');
await page.locator('input[name=password]').fill('regio-demo-password');
await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/login')), page.locator('button[type=submit]').click()]);
for (const [n, path] of paths.entries()) {
  await page.emulateMedia({ media: 'screen' });
  await page.goto(base + path);
  await page.screenshot({ path: `${out}/${n}.png`, fullPage: true });
  await page.emulateMedia({ media: 'print' });
  await page.screenshot({ path: `${out}/${n}-print.png`, fullPage: true });
}
await browser.close();
