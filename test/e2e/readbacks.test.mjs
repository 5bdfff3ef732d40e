// The sender is told that a readback awaits its judgement: Israel, on any
// page, sees Syria's readback of its FLASH arrive in the banner, hears it
// as urgent traffic, counts it in the tab's title, finds it on the watch
// screen, and judges it where the link leads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, signIn, unique, submit, countTones, artifacts } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("a readback to judge reaches the sender's banner, title, ear and watch screen", async () => {
  const il = await signIn(browser, 'il.duty');
  const sy = await signIn(browser, 'sy.duty');
  try {
    await il.page.addInitScript(countTones);
    await il.page.goto('/glossary?lang=en');
    const subject = unique('Convoy crossing at grid 33S');
    const id = (await submit(il.page, '/messages', 'message.send', { channel: 'joint-military', subject, lang: 'en', precedence: 'FLASH',
      body: 'Convoy of 12 vehicles crosses the ceasefire line at grid 33S at 14:30 UTC.' })).entry.index;
    const banner = il.page.locator('#urgent');
    await il.page.locator('#urgent:not([aria-busy])').waitFor({ state: 'attached', timeout: 20000 });
    const countNow = async () => Number((await il.page.title()).match(/^\((\d+)\) /)?.[1] || 0);
    const titleBefore = await countNow();
    const tonesBefore = await il.page.evaluate(() => window.__tones);

    await submit(sy.page, `/messages/${id}/ack`, 'message.ack', { message: id, readback: 'Twelve vehicles cross at grid 33S at 14:30 UTC.' });
    const item = banner.locator(`li[data-readback="${id}/sy"]`);
    await item.waitFor({ timeout: 20000 });
    assert.match(await item.innerText(), new RegExp(`FLASH ${subject} · readback from Syria`));
    await il.page.waitForFunction((n) => document.title.startsWith(`(${n}) `), titleBefore + 1, { timeout: 10000 });
    await il.page.waitForFunction((n) => window.__tones >= n + 3, tonesBefore, { timeout: 10000 });
    await il.page.waitForFunction((want) => window.__announced.includes(want), `Readback from Syria to judge: ${subject}`, { timeout: 10000 });
    await il.page.screenshot({ path: path.join(artifacts, 'banner-readback-en.png') });

    // Syria, who read back, is not asked to judge.
    await sy.page.goto('/glossary?lang=en');
    await sy.page.locator('#urgent [data-urgent-count]').waitFor({ timeout: 20000 });
    assert.equal(await sy.page.locator(`#urgent li[data-readback="${id}/sy"]`).count(), 0);

    // The watch screen lists it, with the readback to compare.
    await il.page.goto('/dashboard?lang=en');
    const listed = il.page.locator(`[data-fragment="readbacks"] li[data-readback="${id}/sy"]`);
    await listed.waitFor();
    assert.match(await listed.innerText(), /Twelve vehicles cross at grid 33S at 14:30 UTC\./);
    await il.page.waitForFunction((n) => document.title.startsWith(`(${n}) `), titleBefore + 1, { timeout: 10000 });

    // Its link leads to the message, where it is judged.
    await listed.getByRole('link', { name: 'Judge it at the message' }).click();
    await il.page.waitForURL(`**/channels/joint-military#m-${id}`);
    const msg = il.page.locator(`article[data-message-id="${id}"]`);
    await msg.getByRole('button', { name: 'Readback correct' }).click();
    await msg.getByText('Readback correct', { exact: true }).waitFor({ timeout: 20000 });
    await il.page.waitForFunction((n) => n === 0 ? !/^\(/.test(document.title) : document.title.startsWith(`(${n}) `), titleBefore, { timeout: 10000 });
    assert.equal(await banner.locator(`li[data-readback="${id}/sy"]`).count(), 0);
  } finally {
    await il.context.close();
    await sy.context.close();
  }
});
