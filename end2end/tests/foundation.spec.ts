import { expect, test } from '@playwright/test';
import { addUser, admin, signIn } from './session';

const viewer = { email: `viewer-${Date.now()}@example.org`, name: 'Vera Viewer', password: 'a viewer passphrase' };

test('admin creates a viewer, who is then refused the admin pages', async ({ page }) => {
  await signIn(page, admin.email, admin.password);
  await expect(page.getByRole('navigation', { name: 'Sections' })).toBeVisible();
  await expect(page.locator('.who')).toContainText('Demo Admin');
  await expect(page.locator('.who .badge')).toHaveText('admin');

  await page.getByRole('link', { name: 'Users' }).click();
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
  await addUser(page, viewer, 'viewer');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);

  await signIn(page, viewer.email, viewer.password);
  await expect(page.locator('.who .badge')).toHaveText('viewer');
  for (const path of ['/users', '/audit']) {
    await page.goto(path);
    await expect(page.getByRole('heading', { name: 'Access refused' })).toBeVisible();
  }
});

test('a wrong password is refused with a clear message', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('The email or password is not right.');
  await expect(page).toHaveURL(/\/login/);
});
