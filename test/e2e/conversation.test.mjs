// The conversation reads as the chat clients officers know: it opens on
// the newest messages, the compose form below them, and a FLASH we owe is
// pinned at the top with its readback field and Acknowledge in the first
// screen. Before, compose came first and an incoming FLASH's Acknowledge
// sat at y≈1,136 of a 900 px window.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, signIn, api, unique, submit, artifacts } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const routine = (subject) => ({ channel: 'joint-military', subject, body: 'Weekly coordination notes: crossing hours unchanged, patrols as scheduled.', lang: 'en', precedence: 'ROUTINE' });

// screen reports where the parts of the conversation are, in the window.
const screen = (pinID) => {
  const r = (el) => el && el.getBoundingClientRect().toJSON();
  const scroller = document.querySelector('#channel .scroller');
  const arts = [...scroller.querySelectorAll('article[data-message-id]')];
  const pin = document.querySelector(`[data-pin="${pinID}"]`);
  return {
    height: innerHeight, width: innerWidth,
    docHeight: document.documentElement.scrollHeight, docWidth: document.documentElement.scrollWidth,
    ids: arts.map((a) => Number(a.dataset.messageId)),
    scroller: r(scroller), newest: r(arts.at(-1)),
    pinned: r(document.querySelector('.pinned')), pins: [...document.querySelectorAll('[data-pin]')].map((p) => Number(p.dataset.pin)), pin: r(pin), readback: r(pin?.querySelector('textarea[data-readback]')), ack: r(pin?.querySelector('button[data-action="ack-send"]')),
    send: r(document.querySelector('#compose button[type="submit"]')), body: r(document.querySelector('#c-body')),
  };
};

const within = (box, s, what, inside) => {
  assert.ok(box, `no ${what}`);
  assert.ok(box.top >= 0 && box.bottom <= s.height && box.left >= 0 && box.right <= s.width, `${what} is outside the first screen: ${JSON.stringify(box)} in ${s.width}×${s.height}`);
  // Not hidden by the scrolling of the part it is in.
  if (inside) assert.ok(box.top >= inside.top - 1 && box.bottom <= inside.bottom + 1, `${what} is scrolled out of its part: ${JSON.stringify([box, inside])}`);
};

for (const [width, height] of [[1280, 900], [390, 844]]) {
  test(`at ${width}×${height}, the conversation opens on the newest with a FLASH we owe pinned and answerable`, async () => {
    const il = await signIn(browser, 'il.duty');
    const sy = await signIn(browser, 'sy.duty', { viewport: { width, height } });
    const owed = [];
    try {
      // A busy watch: two older FLASHes on the channel, overdue and
      // escalated as far as they go, pinned too.
      for (let i = 1; i <= 2; i++) {
        owed.push((await submit(il.page, '/messages', 'message.send', { channel: 'joint-military', subject: unique(`Mortar fire ${i}`), lang: 'en', precedence: 'FLASH',
          body: 'Mortar rounds reported near the crossing.' })).entry.index);
      }
      for (;;) {
        const { items } = await api(sy.page, '/inbox');
        if (items.filter((it) => owed.includes(it.message.id) && it.ack.escalations === 2).length === owed.length) break;
        await sy.page.waitForTimeout(500);
      }
      const subject = unique('Shots heard at the crossing');
      const flash = (await submit(il.page, '/messages', 'message.send', { channel: 'joint-military', subject, lang: 'en', precedence: 'FLASH',
        body: 'Shots heard near the crossing at 1405Z; our patrol holds fire.' })).entry.index;
      owed.push(flash);
      // A long conversation after it.
      let last;
      for (let i = 1; i <= 6; i++) last = (await submit(il.page, '/messages', 'message.send', routine(unique(`Coordination notes ${i}`)))).entry.index;

      await sy.page.goto('/channels/joint-military?lang=en');
      await sy.page.locator(`[data-pin="${flash}"]`).waitFor();
      await sy.page.evaluate(() => document.fonts.ready);
      let s = await sy.page.evaluate(screen, flash);
      await sy.page.screenshot({ path: path.join(artifacts, `conversation-${width}.png`) });
      // The page itself does not scroll: the messages do, between the pin
      // and the compose form.
      assert.ok(s.docHeight <= s.height, `the page is ${s.docHeight} px tall in a ${s.height} px window`);
      assert.ok(s.docWidth <= s.width, `the page is ${s.docWidth} px wide in a ${s.width} px window`);
      // The newest comes first: it is the one still answerable in time, or
      // the newest escalation.
      assert.equal(s.pins[0], flash, `the pins are ${s.pins}`);
      within(s.pin, s, 'the pinned FLASH');
      within(s.readback, s, 'its readback field', s.pinned);
      within(s.ack, s, 'its Acknowledge button', s.pinned);
      within(s.body, s, 'the compose form');
      within(s.send, s, 'Send');
      assert.ok(s.pin.bottom <= s.scroller.top + 1 && s.scroller.bottom <= s.body.top, 'not pin, messages, compose from top to bottom');
      // Oldest first, the newest last and in view.
      assert.deepEqual(s.ids, [...s.ids].sort((a, b) => a - b), 'the messages are not oldest first');
      assert.equal(s.ids.at(-1), last);
      assert.ok(s.newest.bottom <= s.scroller.bottom + 1 && s.newest.bottom > s.scroller.top + 40, `the newest message is out of view: ${JSON.stringify([s.newest, s.scroller])}`);

      // A new message arrives at the bottom, in view.
      const next = (await submit(il.page, '/messages', 'message.send', routine(unique('Coordination notes 7')))).entry.index;
      await sy.page.locator(`article[data-message-id="${next}"]`).waitFor({ timeout: 20000 });
      s = await sy.page.evaluate(screen, flash);
      assert.equal(s.ids.at(-1), next);
      assert.ok(s.newest.bottom <= s.scroller.bottom + 1 && s.newest.bottom > s.scroller.top + 40, 'the new message arrived out of view');

      // Acknowledged from the pin, with a readback: the pin goes, the
      // conversation says so.
      const pin = sy.page.locator(`[data-pin="${flash}"]`);
      await pin.getByLabel('Readback').fill('Shots near the crossing at 1405Z, Israeli patrol holding fire.');
      await pin.getByRole('button', { name: 'Acknowledge' }).click();
      await pin.waitFor({ state: 'detached', timeout: 20000 });
      await sy.page.locator(`article[data-message-id="${flash}"]`).getByText('Acknowledged by Syria').waitFor({ timeout: 20000 });
    } finally {
      // Leave nothing of this owed by Syria or the mediator.
      const us = await signIn(browser, 'us.duty');
      for (const s of [sy, us]) {
        for (const id of owed) await submit(s.page, `/messages/${id}/ack`, 'message.ack', { message: id, readback: 'Reported near the crossing.' }).catch(() => {});
      }
      await us.context.close();
      await il.context.close();
      await sy.context.close();
    }
  });
}
