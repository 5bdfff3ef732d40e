// The mediator invites Jordan, an observer, into a joint channel from its
// page; Jordan, who could not open it, then can.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the mediator invites an observer into a joint channel', async () => {
  const us = await signIn(browser, 'us.duty');
  const jo = await signIn(browser, 'jo.duty');
  try {
    const before = await jo.page.goto('/channels/joint-commercial');
    assert.equal(before.status(), 404);
    await us.page.goto('/channels/joint-commercial');
    const form = us.page.getByRole('form', { name: 'Invite an observer' });
    await form.getByLabel('Observer').selectOption('jo');
    await Promise.all([
      us.page.waitForEvent('load', { timeout: 20000 }),
      form.getByRole('button', { name: 'Invite to this channel' }).click(),
    ]);
    // Jordan is no longer offered; the regional partners still are.
    const observers = us.page.getByRole('form', { name: 'Invite an observer' }).getByLabel('Observer');
    assert.equal(await observers.locator('option[value="jo"]').count(), 0);
    assert.match(await us.page.locator('.channel-meta').innerText(), /Jordan/);
    const after = await jo.page.goto('/channels/joint-commercial');
    assert.equal(after.status(), 200);
  } finally {
    await us.context.close();
    await jo.context.close();
  }
});
