// The mediator adds an agreed term from the glossary page; a party reads
// it there, and messages mark it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the mediator adds an agreed term that every party then reads', async () => {
  const us = await signIn(browser, 'us.duty');
  const sy = await signIn(browser, 'sy.duty');
  try {
    await us.page.goto('/glossary');
    const form = us.page.getByRole('form', { name: 'Add or amend a term' });
    await form.getByLabel('Id').fill('crossing-quneitra');
    await form.getByLabel('English').fill('Quneitra crossing');
    await form.getByLabel('Arabic').fill('معبر القنيطرة');
    await form.getByLabel('Hebrew').fill('מעבר קוניטרה');
    await Promise.all([
      us.page.waitForEvent('load', { timeout: 20000 }),
      form.getByRole('button', { name: 'Save the term' }).click(),
    ]);
    await us.page.locator('tr[data-term="crossing-quneitra"]').waitFor();
    await sy.page.goto('/glossary');
    const row = sy.page.locator('tr[data-term="crossing-quneitra"]');
    assert.match(await row.innerText(), /Quneitra crossing\s+معبر القنيطرة\s+מעבר קוניטרה/);
    assert.equal(await sy.page.getByRole('form', { name: 'Add or amend a term' }).count(), 0);
  } finally {
    await us.context.close();
    await sy.context.close();
  }
});
