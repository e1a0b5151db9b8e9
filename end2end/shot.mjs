import { chromium } from 'playwright';
const base = process.argv[2], pages = process.argv.slice(3);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto(base + '/login');
await page.fill('input[name=email]', 'admin@regio.local');
await page.fill('input[name=password]', 'regio-demo-password');
await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
for (const [i, p] of pages.entries()) {
  await page.goto(base + p);
  await page.screenshot({ path: `/tmp/shots/${i}.png`, fullPage: true });
  if (p.includes('print')) {}
}
await page.emulateMedia({ media: 'print' });
await page.goto(base + pages[pages.length - 1]);
await page.screenshot({ path: `/tmp/shots/print.png`, fullPage: true });
await browser.close();
