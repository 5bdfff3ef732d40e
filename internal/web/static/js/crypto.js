// The browser's device key and the record's proofs.
//
// A member's signing key is made here with WebCrypto, non-extractable, and
// kept in IndexedDB: the server never holds it, and script running in the
// page can use it but not copy it out. Every write is a DSSE envelope
// signed with it, byte for byte what internal/record and internal/client
// produce in Go. verifyEntry checks an entry against the signed checkpoint
// the way an outside verifier with golang.org/x/mod/sumdb/{note,tlog}
// would: the leaf hash, the RFC 6962 inclusion proof, and the Ed25519
// signature of the checkpoint note.

const DB = 'liaison-keys';
const STORE = 'keys';
const enc = new TextEncoder();

// ---- bytes ----

function b64(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function unb64(s) {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(s.length / 4) * 4, '='));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function equal(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

async function sha256(bytes) {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes));
}

// ---- DSSE ----

export function payloadType(kind) {
  return 'application/vnd.liaison.' + kind + '+json';
}

// pae is DSSE's pre-authentication encoding: the bytes that are signed.
// Lengths count bytes, not characters.
export function pae(type, payload) {
  const t = enc.encode(type);
  return concat(enc.encode(`DSSEv1 ${t.length} `), t, enc.encode(` ${payload.length} `), payload);
}

// keyIdOf names a public key as the server does: the hex of the first 16
// bytes of its SHA-256.
export async function keyIdOf(rawPublic) {
  return hex((await sha256(rawPublic)).slice(0, 16));
}

// newId is a random idempotency id, as internal/client.NewID makes them.
export function newId() {
  const b = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return b64(b).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// ---- the key store ----

function openDB() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, fn) {
  const db = await openDB();
  try {
    return await new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const req = fn(t.objectStore(STORE));
      t.oncomplete = () => resolve(req?.result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error || new Error('key store transaction aborted'));
    });
  } finally {
    db.close();
  }
}

// Keys are kept per server and member, so one browser can sign in to two
// cells or as two members without mixing their keys.
const slot = (memberId) => location.origin + ' ' + memberId;

async function stored(memberId) {
  return tx('readonly', (s) => s.get(slot(memberId)));
}

// loadKey returns this browser's key for the member, or null.
export async function loadKey(memberId) {
  const k = await stored(memberId);
  return k ? { keyId: k.keyId, publicKey: k.publicKey } : null;
}

// createKey makes a new key pair for the member and keeps it; the private
// key cannot be exported, not even by this script.
export async function createKey(memberId) {
  const pair = await globalThis.crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
  const raw = new Uint8Array(await globalThis.crypto.subtle.exportKey('raw', pair.publicKey));
  const rec = { keyId: await keyIdOf(raw), publicKey: b64(raw), privateKey: pair.privateKey, created: new Date().toISOString() };
  await tx('readwrite', (s) => s.put(rec, slot(memberId)));
  return { keyId: rec.keyId, publicKey: rec.publicKey };
}

export async function forgetKey(memberId) {
  await tx('readwrite', (s) => s.delete(slot(memberId)));
}

// sign builds and signs a command: fields plus the idempotency id, the
// signing time and the cell, as internal/client.Sign does.
export async function sign(memberId, cell, kind, fields = {}) {
  const k = await stored(memberId);
  if (!k) throw new Error('this browser holds no device key for ' + memberId);
  if (!cell) throw new Error('a command must name its cell');
  const p = { ...fields };
  if (!('id' in p)) p.id = newId();
  if (!('time' in p)) p.time = new Date().toISOString();
  if (!('cell' in p)) p.cell = cell;
  return signPayload(k.privateKey, k.keyId, kind, enc.encode(JSON.stringify(p)));
}

// signSpliced signs a command one of whose fields is JSON bytes that must
// stay exactly as they are (a STIX bundle as a platform exported it, a
// draft as the server made it): the payload is the other fields' JSON with
// those bytes spliced in as the field's value, never parsed and written
// again, so that the signature covers the very bytes the analyst chose.
export async function signSpliced(memberId, cell, kind, fields, name, raw) {
  const k = await stored(memberId);
  if (!k) throw new Error('this browser holds no device key for ' + memberId);
  if (!cell) throw new Error('a command must name its cell');
  const p = { ...fields };
  delete p[name];
  if (!('id' in p)) p.id = newId();
  if (!('time' in p)) p.time = new Date().toISOString();
  if (!('cell' in p)) p.cell = cell;
  const head = JSON.stringify(p);
  const payload = concat(enc.encode(head.slice(0, -1) + ',' + JSON.stringify(name) + ':'), raw, enc.encode('}'));
  return signPayload(k.privateKey, k.keyId, kind, payload);
}

async function signPayload(privateKey, keyId, kind, payload) {
  const type = payloadType(kind);
  const sig = new Uint8Array(await globalThis.crypto.subtle.sign({ name: 'Ed25519' }, privateKey, pae(type, payload)));
  return { payloadType: type, payload: b64(payload), signatures: [{ keyid: keyId, sig: b64(sig) }] };
}

// submit posts an envelope to /api/v1 + path with the session's CSRF
// token; an error carries the problem's detail.
export async function submit(path, envelope, csrf, method = 'POST') {
  const r = await fetch('/api/v1' + path, {
    method,
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrf || '' },
    body: JSON.stringify(envelope),
  });
  let answer = null;
  try {
    answer = await r.json();
  } catch {
    // an empty or non-JSON answer: the status says enough
  }
  if (!r.ok) {
    const e = new Error((answer && (answer.detail || answer.title)) || `${r.status} ${r.statusText}`);
    e.status = r.status;
    e.problem = answer;
    throw e;
  }
  return answer;
}

// registerKey registers this browser's key; the command is signed by the
// key itself, which is how the server knows the browser holds it. It names
// its member: at a party's mirror, which carries it to the cell in its
// admin's vouch, the key's own signature then says whose it is.
export async function registerKey(memberId, cell, label, csrf) {
  const k = await stored(memberId);
  if (!k) throw new Error('this browser holds no device key for ' + memberId);
  const fields = { public_key: k.publicKey, member: memberId };
  if (label) fields.label = label;
  return submit('/keys', await sign(memberId, cell, 'key.register', fields), csrf);
}

// keyStatus tells whether this browser can sign for the member: "missing"
// (no key here), "unknown" (the server does not know it: never registered,
// or another server's), "revoked", "ok", or "pending" (at a party's
// mirror, vouched for and signing, not yet in the record it verified).
export async function keyStatus(memberId) {
  const k = await loadKey(memberId);
  if (!k) return 'missing';
  const r = await fetch('/api/v1/keys/' + encodeURIComponent(k.keyId), { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  if (r.status === 404) return 'unknown';
  if (!r.ok) throw new Error(`key ${k.keyId}: ${r.status} ${r.statusText}`);
  const key = await r.json();
  if (key.member !== memberId) return 'unknown';
  if (key.revoked) return 'revoked';
  return key.pending ? 'pending' : 'ok';
}

// ---- the record ----

// RFC 6962 hashes.
export async function leafHash(data) {
  return sha256(concat(new Uint8Array([0]), data));
}

async function nodeHash(left, right) {
  return sha256(concat(new Uint8Array([1]), left, right));
}

// rootFromInclusionProof walks an audit path from a leaf hash to the root
// of a tree of size entries (RFC 9162, 2.1.3.2), or throws.
export async function rootFromInclusionProof(index, size, leaf, path) {
  if (!(index >= 0 && index < size)) throw new Error(`index ${index} is outside a tree of ${size}`);
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) throw new Error('the proof is longer than the tree is deep');
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Error('the proof is shorter than the tree is deep');
  return r;
}

// parseVerifierKey reads a note verifier key, "name+hash+base64(0x01 ||
// public key)", and checks its hash.
export async function parseVerifierKey(vkey) {
  // Only the first two '+' separate: the name may not hold one, but the
  // standard base64 of the key may.
  const v = vkey.trim();
  const i = v.indexOf('+');
  const j = i < 0 ? -1 : v.indexOf('+', i + 1);
  if (i <= 0 || j < 0) throw new Error('the log key is not a note verifier key');
  const name = v.slice(0, i);
  const hashHex = v.slice(i + 1, j);
  const keyB64 = v.slice(j + 1);
  const key = unb64(keyB64);
  if (key.length !== 33 || key[0] !== 1) throw new Error('the log key is not an Ed25519 note key');
  const h = (await sha256(concat(enc.encode(name + '\n'), key))).slice(0, 4);
  if (hex(h) !== hashHex) throw new Error('the log key hash does not match the key');
  return { name, keyHash: h, publicKey: key.slice(1) };
}

// openCheckpoint verifies a signed checkpoint note against the verifier
// key and returns its origin, size and root hash.
export async function openCheckpoint(noteText, vkey) {
  const k = await parseVerifierKey(vkey);
  const split = noteText.lastIndexOf('\n\n');
  if (split < 0) throw new Error('the checkpoint is not a signed note');
  const text = noteText.slice(0, split + 1);
  const sigLines = noteText.slice(split + 2).split('\n').filter((l) => l !== '');
  const pub = await globalThis.crypto.subtle.importKey('raw', k.publicKey, { name: 'Ed25519' }, false, ['verify']);
  let verified = false;
  for (const line of sigLines) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m || m[1] !== k.name) continue;
    const raw = unb64(m[2]);
    if (raw.length !== 68 || !equal(raw.slice(0, 4), k.keyHash)) continue;
    if (await globalThis.crypto.subtle.verify({ name: 'Ed25519' }, pub, raw.slice(4), enc.encode(text))) {
      verified = true;
      break;
    }
  }
  if (!verified) throw new Error('the checkpoint is not signed by the log key');
  const lines = text.split('\n');
  if (lines.length < 4) throw new Error('the checkpoint body is too short');
  const size = Number(lines[1]);
  if (!Number.isSafeInteger(size) || size < 0 || String(size) !== lines[1]) throw new Error('the checkpoint size is not a number');
  const root = unb64(lines[2]);
  if (root.length !== 32) throw new Error('the checkpoint root is not a SHA-256 hash');
  return { origin: lines[0], size, root };
}

async function getText(url) {
  const r = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
  if (!r.ok) throw new Error(`${url}: ${r.status} ${r.statusText}`);
  return r.text();
}

async function getJSON(url) {
  const r = await fetch(url, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } });
  if (!r.ok) {
    let detail = `${r.status} ${r.statusText}`;
    try {
      const p = await r.json();
      detail = p.detail || detail;
    } catch {
      // not a problem document
    }
    throw new Error(`${url}: ${detail}`);
  }
  return r.json();
}

// verifyEntry checks entry index against the log's latest signed
// checkpoint. It never throws: the answer says what failed.
export async function verifyEntry(index) {
  try {
    const [vkey, note, entry] = await Promise.all([
      getText('/api/v1/log/key'),
      getText('/api/v1/log/checkpoint'),
      getJSON('/api/v1/log/entries/' + index),
    ]);
    const cp = await openCheckpoint(note, vkey);
    if (index >= cp.size) {
      return { ok: false, index, size: cp.size, rootHash: b64(cp.root), detail: `entry ${index} is not yet in the signed checkpoint of size ${cp.size}` };
    }
    const data = unb64(entry.leaf_data);
    const leaf = await leafHash(data);
    if (entry.leaf_hash && !equal(leaf, unb64(entry.leaf_hash))) {
      return { ok: false, index, size: cp.size, rootHash: b64(cp.root), detail: 'the entry bytes do not hash to the stated leaf hash' };
    }
    const proof = await getJSON(`/api/v1/log/proof/inclusion?index=${index}&size=${cp.size}`);
    const root = await rootFromInclusionProof(index, cp.size, leaf, proof.hashes.map(unb64));
    if (!equal(root, cp.root)) {
      return { ok: false, index, size: cp.size, rootHash: b64(cp.root), detail: 'the inclusion proof does not lead to the signed root' };
    }
    return { ok: true, index, size: cp.size, rootHash: b64(cp.root), detail: '' };
  } catch (e) {
    return { ok: false, index, size: 0, rootHash: '', detail: e.message };
  }
}
