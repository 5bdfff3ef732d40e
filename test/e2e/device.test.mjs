// A browser whose device key was revoked can no longer write, is told so
// plainly at its next sign-in, and signs again once it has made and
// registered a new key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, password, unique } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// send signs and submits a message on the joint military line with this
// browser's key, as the compose form does.
const send = (page, subject) => page.evaluate(async (subject) => {
  const c = await import('/static/js/crypto.js');
  const meta = (n) => document.querySelector(`meta[name="${n}"]`).content;
  try {
    const env = await c.sign(meta('liaison-member'), meta('liaison-cell'), 'message.send',
      { channel: 'joint-military', precedence: 'ROUTINE', lang: 'en', subject, body: 'Signed in a test.' });
    await c.submit('/messages', env, meta('csrf-token'));
    return { ok: true };
  } catch (e) {
    return { ok: false, status: e.status, detail: e.message };
  }
}, subject);

test('a revoked device key is refused, the device page says so, and a new key signs', async () => {
  const il = await signIn(browser, 'il.duty');
  const { page } = il;
  try {
    await page.goto('/channels/joint-military');
    assert.deepEqual(await send(page, unique('Before revocation')), { ok: true });

    // The member revokes this browser's key, signing with it one last time.
    const old = await page.evaluate(async () => {
      const c = await import('/static/js/crypto.js');
      const meta = (n) => document.querySelector(`meta[name="${n}"]`).content;
      const { keyId } = await c.loadKey('il.duty');
      await c.submit(`/keys/${keyId}/revoke`, await c.sign('il.duty', meta('liaison-cell'), 'key.revoke', { key_id: keyId }), meta('csrf-token'));
      return { keyId, status: await c.keyStatus('il.duty') };
    });
    assert.equal(old.status, 'revoked');
    const refused = await send(page, unique('After revocation'));
    assert.equal(refused.ok, false);
    assert.ok(refused.status >= 400 && refused.status < 500, JSON.stringify(refused));
    assert.match(refused.detail, /revoked/i);

    // Signing in again leads to the device page, which says why.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login**');
    await page.getByLabel('Username').fill('il.duty');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/device', { timeout: 30000 });
    await page.getByRole('status').filter({ hasText: "This browser's device key has been revoked" }).waitFor({ timeout: 20000 });

    await page.getByRole('button', { name: 'Create a new device key' }).click();
    await page.getByRole('status').filter({ hasText: 'This browser holds a registered device key.' }).waitFor({ timeout: 20000 });
    const fresh = await page.evaluate(async () => {
      const c = await import('/static/js/crypto.js');
      return { keyId: (await c.loadKey('il.duty')).keyId, status: await c.keyStatus('il.duty') };
    });
    assert.equal(fresh.status, 'ok');
    assert.notEqual(fresh.keyId, old.keyId);
    await page.goto('/channels/joint-military');
    assert.deepEqual(await send(page, unique('With the new key')), { ok: true });
  } finally {
    await il.context.close();
  }
});

test('a key the cell never registered signs nothing', async () => {
  const sy = await signIn(browser, 'sy.duty');
  const { page } = sy;
  try {
    await page.goto('/channels/joint-military');
    // Replace the registered key with one the server has never seen.
    const status = await page.evaluate(async () => {
      const c = await import('/static/js/crypto.js');
      await c.forgetKey('sy.duty');
      const missing = await c.keyStatus('sy.duty');
      await c.createKey('sy.duty');
      return { missing, unknown: await c.keyStatus('sy.duty') };
    });
    assert.deepEqual(status, { missing: 'missing', unknown: 'unknown' });
    const refused = await send(page, unique('Unregistered key'));
    assert.equal(refused.ok, false);
    assert.ok(refused.status >= 400 && refused.status < 500, JSON.stringify(refused));

    await page.goto('/device');
    await page.getByRole('status').filter({ hasText: /^No device key/ }).waitFor({ timeout: 20000 });
    assert.equal(await page.getByRole('button', { name: 'Create a new device key' }).count(), 1);
  } finally {
    await sy.context.close();
  }
});
