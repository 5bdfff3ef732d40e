// Shared by the browser tests: the demo server test/e2e/run started, a
// browser, and signing in as a demo member.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const base = process.env.LIAISON_E2E_URL;
export const password = process.env.LIAISON_E2E_PASSWORD;
if (!base || !password) {
  throw new Error('run these tests with test/e2e/run: it starts the demo and sets LIAISON_E2E_URL and LIAISON_E2E_PASSWORD');
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const artifacts = path.join(here, 'artifacts');
mkdirSync(artifacts, { recursive: true });
export const axePath = path.join(here, 'node_modules', 'axe-core', 'axe.min.js');

export async function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    // The machine's network is closed: chromium must not try its own
    // services at start.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

// signIn opens a fresh browser context (its own cookies and IndexedDB,
// like a second workstation), signs in as member and waits for the
// dashboard: on the way the browser makes and registers its device key.
export async function signIn(browser, member, opts = {}) {
  const context = await browser.newContext({ baseURL: base, locale: 'en-US', viewport: { width: 1280, height: 800 }, ...opts });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[${member}] page error:`, e.message));
  await page.goto('/login');
  await page.getByLabel('Username').fill(member);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/dashboard', { timeout: 30000 });
  return { context, page };
}

// api calls the JSON API with the page's session (GETs need no CSRF token).
export async function api(page, path) {
  const r = await page.request.get('/api/v1' + path);
  if (!r.ok()) throw new Error(`GET ${path}: ${r.status()} ${await r.text()}`);
  return r.json();
}

export function unique(what) {
  return `${what} ${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

// submit signs a command with the page's own device key and posts it, as
// the page's scripts do.
export function submit(page, path, kind, fields) {
  return page.evaluate(async ([p, k, f]) => {
    const { signAndSubmit } = await import('/static/js/page.js');
    return signAndSubmit(p, k, f);
  }, [path, kind, fields]);
}

// countTones, as an init script, makes the page count the tones it
// starts, in place of sound, and keep what its assertive live region
// announced.
export const countTones = () => {
  window.__tones = 0;
  window.__announced = [];
  document.addEventListener('DOMContentLoaded', () => {
    const region = document.getElementById('announce-urgent');
    if (region) new MutationObserver(() => window.__announced.push(region.textContent)).observe(region, { childList: true, characterData: true, subtree: true });
  });
  const Real = window.AudioContext;
  window.AudioContext = class extends Real {
    createOscillator() {
      const o = super.createOscillator();
      const start = o.start.bind(o);
      o.start = (...a) => { window.__tones++; return start(...a); };
      return o;
    }
  };
};
