// The log's proof in the browser: once a party's witness has cosigned the
// latest checkpoint, every page says who verified the log and up to where,
// and the proof page says it with who has not cosigned yet, in English and
// right to left in Hebrew. The witness here is made with Node's own
// Ed25519, as a party's mirror holds its key outside the browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { launch, signIn, submit } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// witness is a C2SP cosignature/v1 key called name.
function witness(name) {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const hash = crypto.createHash('sha256').update(Buffer.concat([Buffer.from(name + '\n'), Buffer.from([4]), pub])).digest().subarray(0, 4);
  const vkey = `${name}+${hash.toString('hex')}+${Buffer.concat([Buffer.from([4]), pub]).toString('base64')}`;
  return {
    vkey,
    prove: (cell, party) => crypto.sign(null, Buffer.from(`liaison witness.register\n${cell}\n${party}\n${vkey}\n`), privateKey).toString('base64'),
    // cosign adds this witness's line to a checkpoint note as served.
    cosign: (served) => {
      const text = served.slice(0, served.indexOf('\n\n') + 1);
      const cellLine = served.slice(served.indexOf('\n\n') + 2).split('\n')[0];
      const t = Math.floor(Date.now() / 1000);
      const ts = Buffer.alloc(8);
      ts.writeBigUInt64BE(BigInt(t));
      const sig = crypto.sign(null, Buffer.from(`cosignature/v1\ntime ${t}\n${text}`), privateKey);
      return `${text}\n${cellLine}\n— ${name} ${Buffer.concat([hash, ts, sig]).toString('base64')}\n`;
    },
  };
}

test('every page says who verified the log, and the proof page says who has not', async () => {
  const il = await signIn(browser, 'il.duty');
  try {
    const { page } = il;
    const line = page.locator('#verified-by');
    assert.match(await line.innerText(), /^(Not yet verified by any party's witness|Verified by .+ at size \d+)$/);

    const cell = await page.locator('meta[name="liaison-cell"]').getAttribute('content');
    const w = witness('e2e.test/il');
    await submit(page, '/witnesses', 'witness.register', { verifier_key: w.vkey, proof: w.prove(cell, 'il') });
    // The checkpoint after the registration, cosigned as Israel's mirror does.
    let served;
    for (;;) {
      served = await (await page.request.get('/api/v1/log/checkpoint')).text();
      const r = await page.request.get('/api/v1/witnesses');
      const size = Number(served.split('\n')[1]);
      const reg = (await r.json()).witnesses.find((x) => x.verifier_key === w.vkey);
      if (size > reg.registered) break;
      await page.waitForTimeout(100);
    }
    const size = Number(served.split('\n')[1]);
    const csrf = await page.locator('meta[name="csrf-token"]').getAttribute('content');
    const r = await page.request.post('/api/v1/log/cosignatures', { data: w.cosign(served), headers: { 'Content-Type': 'text/plain', 'X-CSRF-Token': csrf } });
    assert.equal(r.status(), 201, await r.text());

    for (const path of ['/dashboard', '/channels', '/record']) {
      await page.goto(path);
      assert.match(await line.innerText(), new RegExp(`^Verified by (.+, )?Israel( and .+)? at size ${size}$`), path);
    }
    await line.click();
    await page.waitForURL('**/record/proof');
    await page.getByRole('heading', { name: "The log's proof" }).waitFor();
    assert.match(await page.locator('#proof-summary').innerText(), /Israel/);
    assert.match(await page.locator('#proof-behind').innerText(), /^(Not yet cosigned the latest checkpoint: .*(Syria|Jordan).*|Every party's witness has cosigned the latest checkpoint\.)$/);
    await page.getByRole('heading', { name: 'Alarms' }).waitFor();

    // Right to left in Hebrew, the party named in Hebrew.
    await page.goto('/record/proof?lang=he');
    assert.equal(await page.evaluate(() => document.documentElement.dir), 'rtl');
    await page.getByRole('heading', { name: 'הוכחת היומן' }).waitFor();
    assert.match(await line.innerText(), /^אומת על ידי .*ישראל.* בגודל \d+$/);
    assert.match(await page.locator('#proof-summary').innerText(), /ישראל/);
  } finally {
    await il.context.close();
  }
});
