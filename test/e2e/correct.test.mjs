// Messages are never edited: Israel corrects its own message with a new
// one that says what it replaces, and Syria answers with a reply; both
// point back at the original, which stays as it was.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, unique } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a correction and a reply reference the original, which stays', async () => {
  const il = await signIn(browser, 'il.duty');
  const sy = await signIn(browser, 'sy.duty');
  try {
    await il.page.goto('/channels/joint-military');
    await sy.page.goto('/channels/joint-military');
    const subject = unique('Convoy crossing at grid 33S');
    const compose = il.page.getByRole('form', { name: 'Compose' });
    await compose.getByLabel('Subject').fill(subject);
    await compose.getByLabel('Message').fill('Convoy of 12 vehicles crosses at 14:30 UTC.');
    await compose.getByRole('button', { name: 'Send' }).click();
    const original = il.page.locator('article[data-message-id]', { hasText: subject }).first();
    await original.waitFor({ timeout: 20000 });
    const id = await original.getAttribute('data-message-id');

    // Syria may reply, not correct.
    const syOriginal = sy.page.locator(`article[data-message-id="${id}"]`);
    await syOriginal.waitFor({ timeout: 20000 });
    assert.equal(await syOriginal.getByRole('button', { name: 'Send a correction' }).count(), 0);

    // Israel corrects: the form starts from the original and says so.
    await original.getByRole('button', { name: 'Send a correction' }).click();
    await compose.getByText(`Correcting message ${id}`).waitFor();
    assert.equal(await compose.getByLabel('Subject').inputValue(), `Correction: ${subject}`);
    assert.equal(await compose.getByLabel('Message').inputValue(), 'Convoy of 12 vehicles crosses at 14:30 UTC.');
    await compose.getByLabel('Message').fill('Convoy of 14 vehicles, not 12, crosses at 14:30 UTC.');
    await compose.getByRole('button', { name: 'Send' }).click();
    const correction = il.page.locator('article[data-message-id]', { hasText: `Correction: ${subject}` });
    await correction.waitFor({ timeout: 20000 });
    await correction.getByRole('link', { name: `corrects ${id}` }).waitFor();
    assert.equal(await compose.getByText(`Correcting message ${id}`).isVisible(), false, 'the form still says it corrects');

    // Syria replies to the original.
    await syOriginal.getByRole('button', { name: 'Reply' }).click();
    const syCompose = sy.page.getByRole('form', { name: 'Compose' });
    await syCompose.getByText(`Replying to message ${id}`).waitFor();
    await syCompose.getByLabel('Message').fill('Received; our posts at 33S are told.');
    await syCompose.getByRole('button', { name: 'Send' }).click();
    const reply = sy.page.locator('article[data-message-id]', { hasText: `Re: ${subject}` });
    await reply.waitFor({ timeout: 20000 });
    await reply.getByRole('link', { name: `reply to ${id}` }).waitFor();

    // The original stands as sent.
    assert.match(await syOriginal.innerText(), /Convoy of 12 vehicles crosses at 14:30 UTC\./);
  } finally {
    await il.context.close();
    await sy.context.close();
  }
});
