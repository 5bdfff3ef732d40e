// The English dashboard as the README shows it: the mediator's watch
// screen with a FLASH from Israel just arrived. test/e2e/run runs it
// first, on the demo as seeded, before other tests fill it with theirs.
// LIAISON_E2E_UPDATE_DOCS=1 test/e2e/run refreshes docs/screenshot-dashboard.png;
// otherwise the picture goes to test/e2e/artifacts only, so that a test
// run leaves the tree as it found it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, signIn, artifacts } from './harness.mjs';

const readmeShot = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'screenshot-dashboard.png');

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the English dashboard (the README screenshot)', async () => {
  const us = await signIn(browser, 'us.duty');
  const il = await signIn(browser, 'il.duty');
  try {
    await us.page.goto('/dashboard?lang=en');
    assert.equal(await us.page.evaluate(() => document.documentElement.dir), 'ltr');
    await us.page.getByRole('heading', { level: 1, name: 'Watch' }).waitFor();

    await il.page.goto('/channels/joint-military');
    const compose = il.page.getByRole('form', { name: 'Compose' });
    await compose.getByLabel('Precedence').selectOption('FLASH');
    await compose.getByLabel('Subject').fill('Convoy crossing the ceasefire line at 1430Z');
    await compose.getByLabel('Message').fill('A convoy of 12 vehicles crosses the ceasefire line at grid 33S at 1430Z, escorted by UNDOF.');
    await compose.getByRole('button', { name: 'Send' }).click();

    const item = us.page.locator('[data-fragment="awaiting"] li[data-message-id][data-precedence="FLASH"]', { hasText: 'Convoy crossing the ceasefire line' });
    await item.locator('time.countdown').waitFor({ timeout: 20000 });
    assert.match(await item.locator('time.countdown').innerText(), /left/);
    await us.page.evaluate(() => document.fonts.ready);
    // The whole watch screen, as the README's description of it says.
    if (process.env.LIAISON_E2E_UPDATE_DOCS === '1') await us.page.screenshot({ path: readmeShot, fullPage: true });
    await us.page.screenshot({ path: path.join(artifacts, 'dashboard-en.png'), fullPage: true });
  } finally {
    await us.context.close();
    await il.context.close();
  }
});
