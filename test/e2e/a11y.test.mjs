// axe-core on the main pages: no serious or critical violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, axePath, base, api, submit } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function audit(page, url, ready) {
  await page.goto(url);
  if (ready) await page.locator(ready).first().waitFor({ timeout: 20000 });
  await page.addScriptTag({ path: axePath });
  const res = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return {
      rules: r.passes.length + r.violations.length,
      violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })),
    };
  });
  // An audit that checked nothing would pass anything.
  assert.ok(res.rules > 20, `axe applied only ${res.rules} rules to ${url}`);
  return res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

test('no serious or critical accessibility violation on the main pages', async () => {
  // axe is injected as a script: this context alone bypasses the CSP
  // that would (rightly) refuse it.
  const anon = await browser.newContext({ baseURL: base, bypassCSP: true });
  const il = await signIn(browser, 'il.duty', { bypassCSP: true });
  const sy = await signIn(browser, 'sy.duty', { bypassCSP: true });
  const us = await signIn(browser, 'us.duty', { bypassCSP: true });
  try {
    const found = {};
    found['/login'] = await audit(await anon.newPage(), '/login');
    // A message's record page: the fullest one (signer, audience, Verify).
    const { entries } = await api(il.page, '/entries?limit=200');
    const sent = entries.find((e) => e.kind === 'message.send');
    assert.ok(sent, 'the demo has no message.send entry');
    for (const url of ['/dashboard', '/channels', '/channels/joint-military', `/record/${sent.index}`, '/device', '/dashboard?lang=ar', '/channels/joint-military?lang=he', `/record/${sent.index}?lang=ar`]) {
      found[url] = await audit(il.page, url);
    }
    // Syria's pages carry the urgent banner (the demo leaves it a FLASH);
    // the mediator's line pages, the relay form.
    for (const url of ['/channels', '/record?lang=he']) {
      found['sy ' + url] = await audit(sy.page, url, '#urgent [data-urgent-count]');
    }
    for (const url of ['/channels/line-sy', '/channels/line-sy?lang=ar']) {
      found['us ' + url] = await audit(us.page, url, 'details.relay');
    }
    found['us /channels/joint-diplomatic'] = await audit(us.page, '/channels/joint-diplomatic', '#invite');
    found['us /glossary?lang=he'] = await audit(us.page, '/glossary?lang=he', '#term');
    // What Syria owes on its line, pinned above the conversation with its
    // readback field.
    for (const url of ['/channels/line-sy?lang=en', '/channels/line-sy?lang=ar']) {
      found['sy ' + url] = await audit(sy.page, url, '[data-pin] textarea');
    }
    // A readback for Israel to judge: on its watch screen, in its banner.
    const id = (await submit(il.page, '/messages', 'message.send', { channel: 'joint-military', subject: 'Convoy at grid 33S', body: 'A convoy crosses at 1430Z.', lang: 'en', precedence: 'IMMEDIATE' })).entry.index;
    await submit(sy.page, `/messages/${id}/ack`, 'message.ack', { message: id, readback: 'Convoy crossing at 1430Z.' });
    found['il /dashboard (readbacks)'] = await audit(il.page, '/dashboard?lang=he', '[data-fragment="readbacks"] li[data-readback]');
    found['il /glossary (readbacks banner)'] = await audit(il.page, '/glossary?lang=en', '#urgent li[data-readback]');
    // A phone: the banner closed to its heads, then open.
    const phone = await signIn(browser, 'sy.duty', { bypassCSP: true, viewport: { width: 390, height: 844 }, isMobile: true });
    try {
      found['phone /record'] = await audit(phone.page, '/record?lang=ar', '#urgent .urgent-toggle');
      await phone.page.locator('#urgent .urgent-toggle').click();
      found['phone /record (banner open)'] = await audit(phone.page, '/record?lang=ar', '#urgent .urgent-toggle[aria-expanded="true"]');
      found['phone /channels/line-sy'] = await audit(phone.page, '/channels/line-sy?lang=he', '[data-pin] textarea');
    } finally {
      await phone.context.close();
    }
    const bad = Object.entries(found).filter(([, v]) => v.length > 0);
    assert.deepEqual(bad, [], JSON.stringify(bad, null, 2));
  } finally {
    await anon.close();
    for (const s of [il, sy, us]) await s.context.close();
  }
});

// The de-escalation desk's pages, their forms open, in each language.
test('no serious or critical accessibility violation on the desk\'s pages', async () => {
  const il = await signIn(browser, 'il.military', { bypassCSP: true });
  const us = await signIn(browser, 'us.duty', { bypassCSP: true });
  try {
    const { activities } = await api(us.page, '/activities');
    const { incidents } = await api(us.page, '/incidents');
    const exercise = activities.find((a) => a.title.startsWith('Company exercise')).id;
    const shelling = incidents.find((i) => i.title.includes('Hadar')).id;
    const found = {};
    const open = async (page, url, ready) => {
      await page.goto(url);
      await page.locator(ready).first().waitFor({ timeout: 20000 });
      // What an officer opens: the forms, the zones' rules, the signed content.
      await page.evaluate(() => { for (const d of document.querySelectorAll('details')) d.open = true; });
      return audit(page, page.url());
    };
    for (const lang of ['en', 'ar', 'he']) {
      found[`il /map?lang=${lang}`] = await open(il.page, `/map?lang=${lang}`, '#map[data-zones]');
      found[`il /activities/${exercise}?lang=${lang}`] = await open(il.page, `/activities/${exercise}?lang=${lang}`, '.small-map[data-shapes]');
    }
    found[`il /incidents/${shelling}`] = await open(il.page, `/incidents/${shelling}`, '.small-map[data-shapes]');
    found['il /zones/buqata?lang=ar'] = await open(il.page, '/zones/buqata?lang=ar', '.small-map[data-shapes]');
    found[`us /activities/${exercise}`] = await open(us.page, `/activities/${exercise}`, '#clear');
    found[`us /incidents/${shelling}?lang=he`] = await open(us.page, `/incidents/${shelling}?lang=he`, '#finding');
    for (const url of ['/activities', '/incidents?lang=ar', '/dashboard?lang=he']) {
      found['us ' + url] = await audit(us.page, url, url.startsWith('/dashboard') ? '[data-desk-fragment="board"]' : undefined);
    }
    const bad = Object.entries(found).filter(([, v]) => v.length > 0);
    assert.deepEqual(bad, [], JSON.stringify(bad, null, 2));
  } finally {
    for (const s of [il, us]) await s.context.close();
  }
});
