// Proximity talks: the mediator relays, reworded, a message from Syria's
// line to Israel's. Israel reads the mediator's wording live and nothing
// of the original or of the link; the mediator sees both ends linked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, unique } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the mediator relays a reworded message from one line to the other', async () => {
  const sy = await signIn(browser, 'sy.duty');
  const us = await signIn(browser, 'us.duty');
  const il = await signIn(browser, 'il.duty');
  try {
    const original = unique('Our position on the southern sector');
    const harsh = 'We reject the Israeli patrol schedule outright and will respond to any incursion.';
    await sy.page.goto('/channels/line-sy');
    const compose = sy.page.getByRole('form', { name: 'Compose' });
    await compose.getByLabel('Subject').fill(original);
    await compose.getByLabel('Message').fill(harsh);
    await compose.getByRole('button', { name: 'Send' }).click();

    await il.page.goto('/channels/line-il');
    await us.page.goto('/channels/line-sy');
    const msg = us.page.locator('article[data-message-id]', { hasText: original });
    await msg.waitFor({ timeout: 20000 });
    const origin = await msg.getAttribute('data-message-id');

    const softened = unique('The other side on the patrol schedule');
    await msg.getByText('Relay to another line').click();
    await msg.getByLabel('To the line').selectOption('line-il');
    assert.equal(await msg.getByLabel('Subject').inputValue(), original, 'the relay starts from the original subject');
    await msg.getByLabel('Subject').fill(softened);
    await msg.getByLabel('Message').fill('The other side does not accept the revised patrol schedule and asks to discuss it.');
    await msg.getByLabel("Note for the mediator's record (optional)").fill('softened for Jerusalem');
    await msg.getByRole('button', { name: 'Relay', exact: true }).click();
    // The original now says where it went, for the mediator, and a screen
    // reader heard it.
    const link = msg.locator('[data-relayed-to]');
    await link.waitFor({ timeout: 20000 });
    const copy = await link.getAttribute('data-relayed-to');
    assert.equal(await us.page.locator('#announce').textContent(), `Relayed as message ${copy}.`);

    // Israel reads the mediator's wording, live, from the mediator.
    const ilCopy = il.page.locator(`article[data-message-id="${copy}"]`);
    await ilCopy.waitFor({ timeout: 20000 });
    const text = await ilCopy.innerText();
    assert.match(text, new RegExp(softened));
    assert.match(text, /United States/);
    for (const secret of [harsh, original, 'softened for Jerusalem', 'relayed from']) {
      assert.ok(!text.includes(secret), `Israel's copy shows "${secret}"`);
    }
    assert.ok(!(await il.page.content()).includes(harsh), "Israel's page holds the original's words");

    // The mediator's copy links back.
    await us.page.goto('/channels/line-il');
    await us.page.locator(`article[data-message-id="${copy}"] [data-relayed-from="${origin}"]`).waitFor({ timeout: 20000 });
  } finally {
    for (const s of [sy, us, il]) await s.context.close();
  }
});
