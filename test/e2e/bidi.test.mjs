// Times, countdowns and hashes in Arabic and Hebrew: each laid out left
// to right on its own, so that a date keeps its ISO order (2026-12-01,
// not 01-12-2026), "UTC" stays with its time rather than moving to the
// far end of the line past the other zones, and a base64 hash keeps its
// "=" at its end. The order is checked where the officer reads it: in
// the positions of the rendered characters.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, api } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// layout reports, for the page's times, countdowns and clocks, their
// computed direction and where on the screen their parts are drawn.
const layout = () => {
  const box = (node, start, end) => {
    const r = document.createRange();
    r.setStart(node, start);
    r.setEnd(node, end);
    const b = r.getBoundingClientRect();
    return { left: b.left, right: b.right, top: b.top };
  };
  const textNode = (el) => [...el.childNodes].find((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim()) ||
    el.querySelector('bdi')?.firstChild;
  const out = { whens: [], countdowns: [], clocks: [] };
  for (const w of document.querySelectorAll('.when')) {
    if (!w.offsetParent) continue;
    const utc = w.querySelector(':scope > time');
    const zones = [...w.querySelectorAll(':scope > .zone')];
    const n = utc.firstChild;
    const s = n.textContent;
    out.whens.push({
      text: s, dir: getComputedStyle(utc).direction, bidi: getComputedStyle(utc).unicodeBidi,
      year: box(n, 0, 4), day: box(n, 8, 10), utcWord: box(n, s.length - 3, s.length),
      box: utc.getBoundingClientRect().toJSON(),
      zones: zones.map((z) => {
        const t = z.querySelector('time');
        const zs = t.firstChild.textContent;
        const at = zs.indexOf('UTC');
        return { text: zs, dir: getComputedStyle(t).direction, digits: box(t.firstChild, 0, 2), utcWord: box(t.firstChild, at, at + 3), box: z.getBoundingClientRect().toJSON() };
      }),
    });
  }
  for (const c of document.querySelectorAll('time.countdown')) {
    const b = c.querySelector('bdi');
    out.countdowns.push({ text: c.textContent, clock: b?.textContent, dir: b && getComputedStyle(b).direction });
  }
  for (const c of document.querySelectorAll('time.clock')) {
    const n = textNode(c);
    const s = n.textContent;
    out.clocks.push({ zone: c.dataset.zone, text: s, dir: getComputedStyle(c).direction, first: box(n, 0, 2), last: box(n, s.length - 2, s.length) });
  }
  return out;
};

for (const lang of ['ar', 'he']) {
  test(`in ${lang}, times and countdowns read left to right, each with its zone`, async () => {
    const sy = await signIn(browser, 'sy.duty');
    try {
      await sy.page.goto(`/dashboard?lang=${lang}`);
      await sy.page.evaluate(() => document.fonts.ready);
      await sy.page.waitForTimeout(1100); // the countdowns and clocks have ticked once
      const l = await sy.page.evaluate(layout);
      assert.ok(l.whens.length >= 3, `only ${l.whens.length} times on the watch`);
      for (const w of l.whens) {
        assert.match(w.text, /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/, 'the UTC time keeps its ISO form');
        assert.equal(w.dir, 'ltr', `${w.text} is laid out ${w.dir}`);
        assert.equal(w.bidi, 'isolate');
        // Drawn as written: year, then day, then "UTC", left to right.
        assert.ok(w.year.left < w.day.left && w.day.left < w.utcWord.left, `${w.text} drawn out of order: ${JSON.stringify(w)}`);
        for (const z of w.zones) {
          assert.equal(z.dir, 'ltr', `${z.text} is laid out ${z.dir}`);
          assert.ok(z.digits.left < z.utcWord.left, `"UTC" of ${z.text} is drawn before its time`);
          // Right to left, the UTC time comes first (rightmost), each zone
          // after it with its own "UTC+n" beside its own time.
          if (Math.abs(z.box.top - w.box.top) < 4) {
            assert.ok(z.box.right <= w.box.left + 1, `the zone ${z.text} is drawn right of the UTC time: ${JSON.stringify([z.box, w.box])}`);
            assert.ok(w.utcWord.left > z.utcWord.left, `"UTC" of ${w.text} moved past the zone ${z.text}`);
          }
        }
      }
      assert.ok(l.countdowns.length >= 2, 'no countdown on the watch');
      for (const c of l.countdowns) {
        assert.match(c.clock ?? '', /^\d+:\d\d(:\d\d)?$/, `countdown ${c.text} has no isolated time`);
        assert.equal(c.dir, 'ltr');
      }
      assert.ok(l.clocks.length >= 4);
      for (const c of l.clocks) {
        assert.equal(c.dir, 'ltr', `the ${c.zone} clock is laid out ${c.dir}`);
        assert.ok(c.first.left < c.last.left, `the ${c.zone} clock "${c.text}" is drawn backwards`);
      }
      assert.match(l.clocks.find((c) => c.zone === 'UTC').text, /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    } finally {
      await sy.context.close();
    }
  });
}

test('in Arabic, a verified root hash keeps its "=" at its end, and the record its times', async () => {
  const sy = await signIn(browser, 'sy.duty');
  try {
    const { entries } = await api(sy.page, '/entries?limit=50');
    const index = entries.find((e) => e.kind === 'message.send').index;
    await sy.page.goto(`/record/${index}?lang=ar`);
    await sy.page.locator('#verify').click();
    const result = sy.page.locator('#verify-result.ok');
    await result.waitFor({ timeout: 20000 });
    const hash = await result.evaluate((el) => {
      const b = [...el.querySelectorAll('bdi')].find((x) => /^[A-Za-z0-9+/]+=*$/.test(x.textContent) && x.textContent.length > 40);
      if (!b) return null;
      const n = b.firstChild;
      const s = n.textContent;
      const box = (i) => {
        const r = document.createRange();
        r.setStart(n, i);
        r.setEnd(n, i + 1);
        return r.getBoundingClientRect().left;
      };
      return { text: s, dir: getComputedStyle(b).direction, first: box(0), last: box(s.length - 1) };
    });
    assert.ok(hash, `no isolated root hash in "${await result.innerText()}"`);
    assert.equal(hash.dir, 'ltr');
    assert.match(hash.text, /=$/, 'the root hash of a SHA-256 in base64 ends with "="');
    assert.ok(hash.first < hash.last, `the root hash ${hash.text} is drawn with its end first`);
    const l = await sy.page.evaluate(layout);
    assert.ok(l.whens.length >= 1);
    for (const w of l.whens) assert.ok(w.year.left < w.day.left && w.day.left < w.utcWord.left, `${w.text} drawn out of order`);
  } finally {
    await sy.context.close();
  }
});
