// Arabic and Hebrew lay out right to left; screenshots of each are kept
// in test/e2e/artifacts (the English one is docs.test.mjs's).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, signIn, artifacts } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

for (const [lang, word] of [['ar', 'العربية'], ['he', 'עברית']]) {
  test(`the ${lang} interface lays out right to left`, async () => {
    const sy = await signIn(browser, 'sy.duty');
    try {
      await sy.page.goto(`/dashboard?lang=${lang}`);
      const html = await sy.page.evaluate(() => ({
        dir: document.documentElement.dir,
        lang: document.documentElement.lang,
        direction: getComputedStyle(document.body).direction,
        navLeft: document.querySelector('nav[aria-label]')?.getBoundingClientRect().left ?? -1,
      }));
      assert.equal(html.dir, 'rtl');
      assert.equal(html.lang, lang);
      assert.equal(html.direction, 'rtl');
      // The catalog, not English strings in templates: the h1 is not "Watch".
      const h1 = await sy.page.locator('h1').first().innerText();
      assert.notEqual(h1.trim(), 'Watch');
      assert.ok(await sy.page.getByText(word).count() > 0, 'the language switcher names the language');
      // The bundled font of the script is the one the browser uses.
      const family = lang === 'ar' ? 'Noto Sans Arabic' : 'Noto Sans Hebrew';
      const loaded = await sy.page.evaluate(async () => {
        await document.fonts.ready;
        return [...document.fonts].filter((f) => f.status === 'loaded').map((f) => f.family.replace(/["']/g, ''));
      });
      assert.ok(loaded.includes(family), `${family} not loaded; loaded: ${loaded}`);
      // The choice is remembered.
      await sy.page.goto('/channels');
      assert.equal(await sy.page.evaluate(() => document.documentElement.dir), 'rtl');
      await sy.page.goto(`/dashboard?lang=${lang}`);
      await sy.page.screenshot({ path: path.join(artifacts, `dashboard-${lang}.png`), fullPage: true });
      await sy.page.goto('/channels/joint-military');
      await sy.page.screenshot({ path: path.join(artifacts, `channel-${lang}.png`), fullPage: true });
    } finally {
      await sy.context.close();
    }
  });
}

// Every time is in UTC and in each party's zone, and the live clocks keep
// the server's format: a refresh of the page does not switch them.
test('the clocks tick in the format the server renders', async () => {
  const il = await signIn(browser, 'il.duty');
  try {
    for (let attempt = 0; ; attempt++) {
      const served = await (await il.page.request.get('/dashboard?lang=en')).text();
      const want = [...served.matchAll(/<time class="clock" data-zone="([^"]+)"[^>]*>([^<]*)<\/time>/g)].map((m) => [m[1], m[2].replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)))]);
      await il.page.goto('/dashboard?lang=en');
      await il.page.waitForTimeout(1200); // at least one tick
      const got = await il.page.$$eval('time.clock[data-zone]', (els) => els.map((e) => [e.dataset.zone, e.textContent]));
      assert.ok(want.length >= 4, `clocks served: ${JSON.stringify(want)}`);
      assert.ok(want.some(([z, t]) => z === 'UTC' && / UTC$/.test(t)), 'no UTC clock');
      if (JSON.stringify(got) === JSON.stringify(want)) break;
      // A minute may turn between the two reads; it cannot twice.
      assert.ok(attempt < 1, `ticking clocks ${JSON.stringify(got)}, served ${JSON.stringify(want)}`);
    }
  } finally {
    await il.context.close();
  }
});
