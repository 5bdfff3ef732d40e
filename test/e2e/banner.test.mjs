// The urgent banner must show what an officer can still answer in time:
// with five older FLASHes overdue, a new one with minutes left was hidden
// behind "and 3 more". It comes first now, the rest is counted, and the
// banner stays in view however far the page scrolls.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, signIn, api, unique, artifacts, submit } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const flash = (subject) => ({ channel: 'joint-military', subject, body: 'Mortar rounds reported near the crossing.', lang: 'en', precedence: 'FLASH' });

test('a new FLASH heads the banner above five overdue ones, and the banner stays in view', async () => {
  const il = await signIn(browser, 'il.duty');
  const sy = await signIn(browser, 'sy.duty');
  const us = await signIn(browser, 'us.duty');
  const sent = [];
  const { cell } = await api(us.page, '/cell');
  const settings = cell.settings;
  try {
    for (let i = 1; i <= 5; i++) sent.push((await submit(il.page, '/messages', 'message.send', flash(unique(`Mortar fire ${i}`)))).entry.index);
    // The demo's FLASH deadline is seconds: wait until all five are overdue.
    for (;;) {
      const { items } = await api(sy.page, '/inbox');
      const late = items.filter((it) => sent.includes(it.message.id) && it.seconds_left < 0);
      if (late.length === sent.length) break;
      await sy.page.waitForTimeout(500);
    }
    // A FLASH with ten minutes to answer it.
    await submit(us.page, '/entries', 'cell.settings', { settings: { ...settings, ack_deadlines: { ...settings.ack_deadlines, FLASH: 600 } } });
    const subject = unique('Patrol crossing the line');
    let fresh;
    try {
      fresh = (await submit(il.page, '/messages', 'message.send', flash(subject))).entry.index;
    } finally {
      await submit(us.page, '/entries', 'cell.settings', { settings });
    }
    sent.push(fresh);

    await sy.page.setViewportSize({ width: 1280, height: 900 });
    await sy.page.goto('/record?lang=en');
    const banner = sy.page.locator('#urgent section.urgent');
    await banner.locator('li[data-message-id]').first().waitFor({ timeout: 20000 });
    // First what can be answered in time (the demo's link test for Syria
    // has a longer deadline than FLASH), the new FLASH among it; then the
    // overdue.
    const order = await banner.locator('li[data-message-id]').evaluateAll((lis) => lis.map((li) => ({ id: Number(li.dataset.messageId), over: li.hasAttribute('data-overdue') })));
    const firstOver = order.findIndex((o) => o.over);
    assert.ok(order.slice(firstOver).every((o) => o.over), `an item in time after an overdue one: ${JSON.stringify(order)}`);
    const at = order.findIndex((o) => o.id === fresh);
    assert.ok(at >= 0 && at < firstOver, `the new FLASH is not among the first items: ${JSON.stringify(order)}`);
    assert.match(await banner.locator(`li[data-message-id="${fresh}"] time.countdown`).innerText(), /^\d+:\d\d left$/);
    // The rest is counted, and said to be overdue.
    const count = Number(await banner.getAttribute('data-urgent-count'));
    const shown = await banner.locator('li[data-message-id]').count();
    assert.ok(count >= 6, `the banner counts ${count}`);
    assert.match(await banner.locator('.urgent-head').innerText(), /\(\d+ overdue\)/);
    if (count > shown) assert.equal(await banner.locator('.urgent-more').innerText(), `and ${count - shown} more overdue, on the watch screen`);
    await sy.page.screenshot({ path: path.join(artifacts, 'banner-en.png') });

    // Scrolled to the end of a long page, it is still there, the new FLASH in it.
    const inView = async () => sy.page.evaluate((id) => {
      const b = document.querySelector('#urgent section.urgent').getBoundingClientRect();
      const li = document.querySelector(`#urgent li[data-message-id="${id}"]`).getBoundingClientRect();
      return { scrolled: window.scrollY, top: b.top, bottom: b.bottom, item: [li.top, li.bottom], height: innerHeight };
    }, fresh);
    await sy.page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    const v = await inView();
    assert.ok(v.scrolled > 300, `the page did not scroll (${v.scrolled})`);
    assert.equal(v.top, 0, 'the banner scrolled away');
    assert.ok(v.item[0] >= 0 && v.item[1] <= v.bottom, `the new FLASH is out of the banner's view: ${JSON.stringify(v)}`);
    assert.ok(v.bottom < v.height / 2, 'the banner covers half the screen');
    await sy.page.screenshot({ path: path.join(artifacts, 'banner-scrolled-en.png') });
  } finally {
    // Leave the demo as the other tests expect it: nothing of this owed.
    for (const s of [sy, us]) {
      for (const id of sent) {
        await submit(s.page, `/messages/${id}/ack`, 'message.ack', { message: id, readback: 'Mortar rounds near the crossing.' }).catch(() => {});
      }
    }
    for (const s of [il, sy, us]) await s.context.close();
  }
});
