// Arabic and Hebrew lay out right to left; screenshots of each are kept
// in test/e2e/artifacts, and the English dashboard goes to the README
// (LIAISON_E2E_UPDATE_DOCS=1 test/e2e/run refreshes docs/screenshot-dashboard.png).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, signIn, artifacts } from './harness.mjs';

const readmeShot = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'screenshot-dashboard.png');

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

test('the English dashboard (the README screenshot)', async () => {
  const us = await signIn(browser, 'us.duty');
  try {
    await us.page.goto('/dashboard?lang=en');
    assert.equal(await us.page.evaluate(() => document.documentElement.dir), 'ltr');
    await us.page.locator('h1', { hasText: 'Watch' }).waitFor();
    // The README's copy is refreshed on request only, so that a test run
    // leaves the tree as it found it.
    if (process.env.LIAISON_E2E_UPDATE_DOCS === '1') await us.page.screenshot({ path: readmeShot });
    await us.page.screenshot({ path: path.join(artifacts, 'dashboard-en.png'), fullPage: true });
  } finally {
    await us.context.close();
  }
});
