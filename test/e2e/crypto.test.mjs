// crypto.js's pure parts, run in Node against what the Go server made:
// envelopes signed in Go and in browsers verify with crypto.js's PAE and
// key ids; every leaf's inclusion proof leads to the signed checkpoint's
// root; and a proof, a root or a checkpoint that was changed does not.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, webcrypto } from 'node:crypto';
import * as c from '../../internal/web/static/js/crypto.js';
import { base, password } from './harness.mjs';

const subtle = webcrypto.subtle;
const enc = new TextEncoder();
const dec = new TextDecoder();
const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const unb64 = (s) => new Uint8Array(Buffer.from(s, 'base64'));

let token;
async function get(path, type = 'json') {
  const r = await fetch(base + '/api/v1' + path, { headers: { Authorization: 'Bearer ' + token } });
  if (!r.ok) return { status: r.status };
  return { status: r.status, body: type === 'json' ? await r.json() : await r.text() };
}

before(async () => {
  const r = await fetch(base + '/api/v1/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'il.duty', password }),
  });
  assert.equal(r.status, 200, await r.clone().text());
  token = (await r.json()).token;
});

test('PAE counts bytes, as DSSE and internal/record do', () => {
  // The DSSE specification's own example.
  assert.equal(dec.decode(c.pae('http://example.com/HelloWorld', enc.encode('hello world'))),
    'DSSEv1 29 http://example.com/HelloWorld 11 hello world');
  // Arabic and Hebrew take two bytes a letter: a length in characters
  // would make a signature the server rejects.
  const body = enc.encode('{"subject":"قافلة שיירה"}');
  assert.equal(dec.decode(c.pae(c.payloadType('message.send'), body)),
    `DSSEv1 41 application/vnd.liaison.message.send+json ${body.length} {"subject":"قافلة שיירה"}`);
  assert.equal(body.length, 35);
});

test('every envelope in the log verifies with crypto.js, whoever signed it', async () => {
  const { body: info } = await get('/cell');
  const cp = await c.openCheckpoint((await get('/log/checkpoint', 'text')).body, (await get('/log/key', 'text')).body);
  const keys = new Map([[info.cell.server_key_id, info.cell.server_key]]);
  const kinds = new Set();
  let checked = 0;
  for (let i = 0; i < cp.size; i++) {
    const e = await get('/log/entries/' + i);
    if (e.status === 403) continue; // outside il's audience
    assert.equal(e.status, 200);
    const env = e.body.envelope;
    const [sig] = env.signatures;
    if (!keys.has(sig.keyid)) keys.set(sig.keyid, (await get('/keys/' + sig.keyid)).body.public);
    const pub = unb64(keys.get(sig.keyid));
    // The key id is crypto.js's reading of the public key.
    assert.equal(await c.keyIdOf(pub), sig.keyid);
    const k = await subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
    assert.ok(await subtle.verify({ name: 'Ed25519' }, k, unb64(sig.sig), c.pae(env.payloadType, unb64(env.payload))),
      `entry ${i} (${e.body.kind}) does not verify`);
    // The leaf hash commits to the entry's exact bytes.
    assert.equal(b64(await c.leafHash(unb64(e.body.leaf_data))), (await get(`/log/leaves?start=${i}&end=${i + 1}`)).body.leaves[0]);
    kinds.add(e.body.kind);
    checked++;
  }
  assert.ok(checked > 20, `only ${checked} entries readable`);
  // Both the server's own entries and members' signed commands were seen.
  for (const k of ['cell.create', 'key.register', 'message.send', 'message.ack']) assert.ok(kinds.has(k), `no ${k} among ${[...kinds]}`);
});

test('inclusion proofs lead to the signed root; changed ones do not', async () => {
  const cp = await c.openCheckpoint((await get('/log/checkpoint', 'text')).body, (await get('/log/key', 'text')).body);
  assert.ok(cp.size > 20);
  const leaves = (await get(`/log/leaves?start=0&end=${cp.size}`)).body.leaves.map(unb64);
  assert.equal(leaves.length, cp.size);
  const same = (a, b) => Buffer.from(a).equals(Buffer.from(b));
  for (let i = 0; i < cp.size; i++) {
    const path = (await get(`/log/proof/inclusion?index=${i}&size=${cp.size}`)).body.hashes.map(unb64);
    assert.ok(same(await c.rootFromInclusionProof(i, cp.size, leaves[i], path), cp.root), `proof of ${i} in ${cp.size}`);

    // A bit flipped anywhere in the path, the wrong leaf, or the wrong
    // index: not the signed root.
    for (let j = 0; j < path.length; j++) {
      const bad = path.map((h) => h.slice());
      bad[j][31] ^= 1;
      assert.ok(!same(await c.rootFromInclusionProof(i, cp.size, leaves[i], bad), cp.root), `flipped hash ${j} of proof ${i}`);
    }
    assert.ok(!same(await c.rootFromInclusionProof(i, cp.size, leaves[(i + 1) % cp.size], path), cp.root), `wrong leaf for ${i}`);
    const other = i === 0 ? 1 : i - 1;
    let moved;
    try { moved = await c.rootFromInclusionProof(other, cp.size, leaves[i], path); } catch { moved = null; }
    assert.ok(!moved || !same(moved, cp.root), `proof of ${i} accepted for index ${other}`);
    // A path of the wrong length is refused outright.
    await assert.rejects(c.rootFromInclusionProof(i, cp.size, leaves[i], path.slice(1)));
    await assert.rejects(c.rootFromInclusionProof(i, cp.size, leaves[i], [...path, path[0] ?? leaves[i]]));
  }
  await assert.rejects(c.rootFromInclusionProof(cp.size, cp.size, leaves[0], []), /outside a tree/);
});

test('a checkpoint verifies only with its own key and only as signed', async () => {
  const vkey = (await get('/log/key', 'text')).body;
  const note = (await get('/log/checkpoint', 'text')).body;
  const cp = await c.openCheckpoint(note, vkey);
  assert.equal(cp.origin, (await get('/cell')).body.cell.origin);

  // One more entry claimed, or another root: the signature no longer fits.
  const lines = note.split('\n');
  const grown = [lines[0], String(cp.size + 1), ...lines.slice(2)].join('\n');
  await assert.rejects(c.openCheckpoint(grown, vkey), /not signed by the log key/);
  const root = unb64(lines[2]);
  root[0] ^= 1;
  await assert.rejects(c.openCheckpoint([lines[0], lines[1], b64(root), ...lines.slice(3)].join('\n'), vkey), /not signed by the log key/);

  // Another key of the same name, or a key whose hash was altered.
  const { vkey: otherKey } = await noteKey(cp.origin);
  await assert.rejects(c.openCheckpoint(note, otherKey), /not signed by the log key/);
  const [name, hash] = vkey.split('+');
  const key = vkey.slice(name.length + hash.length + 2);
  const badHash = hash.replace(/.$/, (d) => (d === '0' ? '1' : '0'));
  await assert.rejects(c.openCheckpoint(note, `${name}+${badHash}+${key}`), /hash does not match/);
});

test("a note key whose base64 holds '+' or '/' is read whole", async () => {
  // Keys made until one's base64 shows both characters: about one key in
  // three holds a '+', which an early crypto.js split the key on.
  for (let n = 0; n < 200; n++) {
    const k = await noteKey('liaison/test-cell');
    const b64key = k.vkey.split('+').slice(2).join('+');
    if (!b64key.includes('+') || !b64key.includes('/')) continue;
    const parsed = await c.parseVerifierKey(k.vkey);
    assert.equal(parsed.name, 'liaison/test-cell');
    assert.equal(b64(parsed.publicKey), b64(k.raw));
    const root = new Uint8Array(32).fill(7);
    const body = `liaison/test-cell\n3\n${b64(root)}\n`;
    const sig = new Uint8Array(await subtle.sign({ name: 'Ed25519' }, k.privateKey, enc.encode(body)));
    const note = `${body}\n\u2014 liaison/test-cell ${b64(Buffer.concat([k.hash, sig]))}\n`;
    const cp = await c.openCheckpoint(note, k.vkey);
    assert.equal(cp.size, 3);
    assert.ok(Buffer.from(cp.root).equals(Buffer.from(root)));
    return;
  }
  assert.fail('no key with both + and / in 200 tries');
});

// noteKey makes a sumdb/note Ed25519 key: verifier key
// "name+hex(hash)+base64(0x01 || public key)", hash being the first four
// bytes of SHA-256(name "\n" 0x01 || public key).
async function noteKey(name) {
  const pair = await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const raw = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
  const typed = Buffer.concat([Buffer.from([1]), raw]);
  const hash = createHash('sha256').update(name + '\n').update(typed).digest().subarray(0, 4);
  return { vkey: `${name}+${hash.toString('hex')}+${typed.toString('base64')}`, raw, hash, privateKey: pair.privateKey };
}
