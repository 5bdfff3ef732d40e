// Proximity talks: Syria never sees Israel's line with the mediator, not
// in the list, not by URL, not that it exists.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("sy.duty can neither list nor open Israel's line", async () => {
  const sy = await signIn(browser, 'sy.duty');
  try {
    await sy.page.goto('/channels');
    const list = await sy.page.locator('main').innerText();
    assert.match(list, /Syria – mediator line/, 'its own line is listed');
    assert.doesNotMatch(list, /Israel – mediator line/);
    assert.equal(await sy.page.locator('a[href="/channels/line-il"]').count(), 0);

    const hidden = await sy.page.goto('/channels/line-il');
    assert.equal(hidden.status(), 404);
    const hiddenText = await sy.page.locator('main').innerText();
    assert.doesNotMatch(hiddenText, /Israel – mediator line|line-il/);

    // Exactly what a channel that does not exist answers.
    const missing = await sy.page.goto('/channels/line-zz');
    assert.equal(missing.status(), 404);
    assert.equal((await sy.page.locator('main').innerText()).replaceAll('line-zz', 'X'), hiddenText.replaceAll('line-il', 'X'));

    // And the API behind the page says the same.
    const r = await sy.page.request.get('/api/v1/channels/line-il');
    assert.equal(r.status(), 404);
  } finally {
    await sy.context.close();
  }
});
