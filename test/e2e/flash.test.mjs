// The FLASH exchange a newcomer carries out on the demo: Israel's duty
// officer sends, Syria's sees it arrive live and acknowledges with a
// readback, Israel sees the acknowledgement live and marks it correct.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, unique, api } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('FLASH: sent, seen live, acknowledged with a readback, readback marked correct', async () => {
  const il = await signIn(browser, 'il.duty');
  const sy = await signIn(browser, 'sy.duty');
  try {
    // Syria watches the channel before the message exists.
    await sy.page.goto('/channels/joint-military');
    await il.page.goto('/channels/joint-military');
    const navigations = [];
    for (const p of [sy.page, il.page]) p.on('framenavigated', (f) => { if (f === p.mainFrame()) navigations.push(f.url()); });

    const subject = unique('Convoy crossing');
    const compose = il.page.getByRole('form', { name: 'Compose' });
    await compose.getByLabel('Precedence').selectOption('FLASH');
    await compose.getByLabel('Subject').fill(subject);
    await compose.getByLabel('Message').fill('Convoy of 12 vehicles crosses the ceasefire line at grid 33S at 14:30 UTC, escorted.');
    await compose.getByRole('button', { name: 'Send' }).click();

    // It appears for Syria without a reload, marked FLASH in words.
    const syMsg = sy.page.locator('article[data-message-id]', { hasText: subject });
    await syMsg.waitFor({ timeout: 20000 });
    assert.equal(await syMsg.getAttribute('data-precedence'), 'FLASH');
    assert.match(await syMsg.innerText(), /FLASH/);
    assert.match(await syMsg.innerText(), /Awaiting acknowledgement from Syria/);

    // Acknowledge with a readback.
    await syMsg.getByRole('button', { name: 'Acknowledge' }).click();
    await syMsg.getByLabel('Readback').fill('Twelve vehicles cross at grid 33S, 14:30 UTC, under escort.');
    await syMsg.getByRole('button', { name: 'Send acknowledgement' }).click();
    await syMsg.getByText('Acknowledged by Syria').waitFor({ timeout: 20000 });

    // Israel sees the acknowledgement and the readback arrive live.
    const ilMsg = il.page.locator('article[data-message-id]', { hasText: subject });
    await ilMsg.getByText('Acknowledged by Syria').waitFor({ timeout: 20000 });
    await ilMsg.getByText('Twelve vehicles cross at grid 33S').waitFor();
    const mark = ilMsg.getByRole('button', { name: 'Readback correct' });
    await mark.click();
    // The buttons give way to the verdict, on both sides, live.
    await mark.waitFor({ state: 'detached', timeout: 20000 });
    await ilMsg.getByText('Readback correct', { exact: true }).waitFor({ timeout: 20000 });
    await syMsg.getByText('Readback correct', { exact: true }).waitFor({ timeout: 20000 });
    assert.equal(await syMsg.getByRole('button', { name: 'Readback correct' }).count(), 0, 'Syria may judge its own readback');
    assert.deepEqual(navigations, [], 'a page reloaded');

    // The record agrees: the ack carries the readback, marked correct, and
    // every entry was signed by the browsers' own keys.
    const id = Number(await ilMsg.getAttribute('data-message-id'));
    const m = await api(il.page, `/messages/${id}`);
    const ack = (m.acks || []).find((a) => a.party === 'sy');
    assert.ok(ack, 'no acknowledgement from Syria in ' + JSON.stringify(m));
    assert.equal(ack.status, 'acknowledged');
    assert.match(ack.readback, /Twelve vehicles/);
    assert.equal(ack.verdict, 'correct');
    assert.equal(ack.acked_by, 'sy.duty');
  } finally {
    await il.context.close();
    await sy.context.close();
  }
});
