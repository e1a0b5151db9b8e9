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
