import { defineConfig } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Each run gets a fresh demo database, so the tests start from the state `make run` shows.
const port = process.env.E2E_PORT ?? '3917';
const baseURL = `http://127.0.0.1:${port}`;
// The Stripe emulator demo mode starts, on the next port: journeys change its records as a
// Dashboard user would (`stripeDashboard` in tests/session.ts reads E2E_EMULATOR_URL).
const emulatorPort = process.env.E2E_EMULATOR_PORT ?? String(Number(port) + 1);
process.env.E2E_EMULATOR_URL = `http://127.0.0.1:${emulatorPort}`;
const databaseDir = mkdtempSync(join(tmpdir(), 'regio-e2e-'));

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  retries: 0,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL,
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
    trace: 'retain-on-failure',
  },
  webServer: {
    // The Makefile exports REGIO (the release binary) and LEPTOS_SITE_ROOT (its site).
    command: `${process.env.REGIO ?? 'target/release/regio'} serve`,
    cwd: '..',
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      REGIO_DEMO: '1',
      REGIO_ADDR: `127.0.0.1:${port}`,
      DATABASE_URL: `sqlite://${databaseDir}/regio.db?mode=rwc`,
      LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? 'target/site',
      REGIO_EMULATOR_ADDR: `127.0.0.1:${emulatorPort}`,
      // A payment with no Payment Record is a break at once, as demo mode stages its breaks, so
      // a journey can stage one and fix it without waiting the hour a real operator would.
      REGIO_RECON_GRACE_MINUTES: '0',
    },
  },
});
