import { expect, type Page } from '@playwright/test';

/** The admin that demo mode creates (see `src/server/demo.rs`). */
export const admin = { email: 'admin@regio.local', password: 'regio-demo-password' };

/** Signs in from a fresh page and waits for the dashboard. */
export async function signIn(page: Page, email: string, password: string) {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?next=%2F$/);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
}

/** Adds a user from the Users page (the signed-in user must be an admin). */
export async function addUser(page: Page, user: { email: string; name: string; password: string }, role: string) {
  await page.goto('/users');
  const form = page.locator('section.panel form');
  await form.getByLabel('Email').fill(user.email);
  await form.getByLabel('Name').fill(user.name);
  await form.getByLabel('Role').selectOption(role);
  await form.getByLabel('Password').fill(user.password);
  await form.getByRole('button', { name: 'Add user' }).click();
  await expect(page.locator(`tr[data-email="${user.email}"]`)).toContainText(user.name);
}

/** Collects every console error and failed request while `page` is open; a test expects none. */
export function watchForTrouble(page: Page) {
  const trouble: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') trouble.push(`console: ${message.text()}`);
  });
  page.on('requestfailed', (request) => trouble.push(`request: ${request.url()} ${request.failure()?.errorText ?? ''}`));
  return trouble;
}
