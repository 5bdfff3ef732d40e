// The browser's key and the record: the key the browser made is the one
// the server knows, it cannot be copied out, and "Verify" checks an entry
// against the signed checkpoint — and fails when the proof does not fit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, api } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the device key is registered, non-extractable, and entries verify in the browser', async () => {
  const il = await signIn(browser, 'il.duty');
  try {
    const { page } = il;
    const mine = await page.evaluate(async () => {
      const c = await import('/static/js/crypto.js');
      const k = await c.loadKey('il.duty');
      // The private key must not leave the browser's key store.
      const db = await new Promise((res, rej) => { const r = indexedDB.open('liaison-keys'); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
      const rec = await new Promise((res, rej) => { const r = db.transaction('keys').objectStore('keys').get(location.origin + ' il.duty'); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
      let exported = true;
      try { await crypto.subtle.exportKey('pkcs8', rec.privateKey); } catch { exported = false; }
      return { keyId: k.keyId, extractable: rec.privateKey.extractable, exported, status: await c.keyStatus('il.duty') };
    });
    assert.equal(mine.extractable, false);
    assert.equal(mine.exported, false);
    assert.equal(mine.status, 'ok');
    const key = await api(page, `/keys/${mine.keyId}`);
    assert.equal(key.member, 'il.duty');
    assert.equal(key.revoked ?? false, false);

    // The key's own registration entry, verified with the Verify button.
    await page.goto(`/record/${key.registered}`);
    await page.getByRole('button', { name: 'Verify' }).click();
    const status = page.getByRole('status').filter({ hasText: /Verif/ });
    await status.filter({ hasText: /^Verified/ }).waitFor({ timeout: 20000 });
    assert.match(await status.first().innerText(), new RegExp(`entry ${key.registered} is in the log`));

    // The same page, served a proof with one bit changed on the way: the
    // browser's check catches it.
    await page.route('**/api/v1/log/proof/inclusion*', async (route) => {
      const real = await route.fetch();
      const proof = await real.json();
      const h = Buffer.from(proof.hashes[0], 'base64');
      h[0] ^= 1;
      proof.hashes[0] = h.toString('base64');
      await route.fulfill({ response: real, json: proof });
    });
    await page.reload();
    await page.getByRole('button', { name: 'Verify' }).click();
    const failed = page.getByRole('status').filter({ hasText: /^Verification failed/ });
    await failed.waitFor({ timeout: 20000 });
    assert.match(await failed.innerText(), /does not lead to the signed root/);
    await page.unroute('**/api/v1/log/proof/inclusion*');

    // A checkpoint whose root was changed no longer carries the log key's
    // signature.
    await page.route('**/api/v1/log/checkpoint', async (route) => {
      const real = await route.fetch();
      const lines = (await real.text()).split('\n');
      const root = Buffer.from(lines[2], 'base64');
      root[31] ^= 1;
      lines[2] = root.toString('base64');
      await route.fulfill({ response: real, body: lines.join('\n') });
    });
    const wrongRoot = await page.evaluate(async (i) => (await import('/static/js/crypto.js')).verifyEntry(i), key.registered);
    assert.equal(wrongRoot.ok, false);
    assert.match(wrongRoot.detail, /not signed by the log key/);
    await page.unroute('**/api/v1/log/checkpoint');

    // An entry beyond the log is refused, not "verified".
    const beyond = await page.evaluate(async () => (await import('/static/js/crypto.js')).verifyEntry(1e9));
    assert.equal(beyond.ok, false);
  } finally {
    await il.context.close();
  }
});
