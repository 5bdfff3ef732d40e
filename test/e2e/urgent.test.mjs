// A FLASH for Syria must not go unnoticed while its officer reads another
// page: the banner shows it, the tab's title counts it, a tone sounds and
// a screen reader hears it. The sender's own party gets none of that.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, unique, countTones } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('an urgent message reaches the banner, the title and the ear on any page', async () => {
  const il = await signIn(browser, 'il.duty');
  const sy = await signIn(browser, 'sy.duty');
  try {
    await sy.page.addInitScript(countTones);
    await il.page.addInitScript(countTones);
    await sy.page.goto('/record');
    await il.page.goto('/channels/joint-military');
    const banner = sy.page.locator('#urgent');
    // The demo leaves Syria urgent traffic already: the banner says so.
    await banner.locator('[data-urgent-count]').waitFor({ timeout: 20000 });
    const before = Number(await banner.locator('[data-urgent-count]').getAttribute('data-urgent-count'));
    // The title counts the readbacks Syria has to judge too.
    const judge = Number(await banner.locator('[data-readback-count]').getAttribute('data-readback-count'));
    assert.match(await sy.page.title(), new RegExp(`^\\(${before + judge}\\) `));

    const tonesBefore = await sy.page.evaluate(() => window.__tones);
    const subject = unique('Shots heard at the crossing');
    const compose = il.page.getByRole('form', { name: 'Compose' });
    await compose.getByLabel('Precedence').selectOption('FLASH');
    await compose.getByLabel('Subject').fill(subject);
    await compose.getByLabel('Message').fill('Shots heard near the crossing at 1405Z; our patrol holds fire.');
    await compose.getByRole('button', { name: 'Send' }).click();

    // The banner lists it with what can still be answered in time; the count takes it in.
    await banner.locator(`[data-urgent-count="${before + 1}"]`).waitFor({ timeout: 20000 });
    await sy.page.waitForFunction((n) => document.title.startsWith(`(${n}) `), before + judge + 1, { timeout: 10000 });
    // Three beeps for it (escalations of the demo's older traffic, which
    // fall due while the tests run, may add their own).
    await sy.page.waitForFunction((n) => window.__tones >= n + 3, tonesBefore, { timeout: 10000 });
    await sy.page.waitForFunction((want) => window.__announced.includes(want), `FLASH: ${subject}`, { timeout: 10000 });

    // Israel, the sender, has no banner for it and no alert.
    assert.equal(await il.page.locator('#urgent').getByText(subject).count(), 0);
    assert.ok(!(await il.page.evaluate(() => window.__announced.join('\n'))).includes(subject), 'Israel was alerted to its own FLASH');

    // Acknowledging it takes it off the banner.
    await sy.page.goto('/channels/joint-military');
    const msg = sy.page.locator('article[data-message-id]', { hasText: subject });
    await msg.waitFor({ timeout: 20000 });
    await msg.getByRole('button', { name: 'Acknowledge' }).click();
    await msg.getByLabel('Readback').fill('Shots near the crossing at 1405Z, Israeli patrol holding fire.');
    await msg.getByRole('button', { name: 'Send acknowledgement' }).click();
    await msg.getByText('Acknowledged by Syria').waitFor({ timeout: 20000 });
    await banner.locator(`[data-urgent-count="${before}"]`).waitFor({ timeout: 20000 });
    await sy.page.waitForFunction((n) => document.title.startsWith(`(${n}) `), before + judge, { timeout: 10000 });

    // The watch screen lists it all in its first panel: no banner there,
    // but the title still counts. And there the officer can silence the tone.
    await sy.page.goto('/dashboard');
    await sy.page.waitForFunction((n) => document.title.startsWith(`(${n}) `), before + judge, { timeout: 10000 });
    assert.equal(await banner.locator('[data-urgent-count]').count(), 0);
    const toggle = sy.page.getByRole('button', { name: 'Sound on urgent traffic' });
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    assert.equal(await sy.page.evaluate(() => localStorage.getItem('liaison.sound')), 'off');
  } finally {
    await il.context.close();
    await sy.context.close();
  }
});
