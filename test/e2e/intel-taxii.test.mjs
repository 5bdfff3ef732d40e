// The intelligence desk over TAXII, from the browser and from a platform:
// Israel's analyst issues TAXII credentials on /intel (shown once, to be
// copied), then this test plays their MISP with Node's fetch: discovery,
// the API root's collections, a POST of STIX objects to Israel's
// submitted collection, which answers 202 with a pending status. Back in
// the browser the post waits for its poster's signature; he reads what it
// holds and signs its exact bytes; TAXII then reports the status complete,
// and the submission is listed for Israel and in the mediator's queue.
// Revoking the credentials ends them. Jordan's analyst signs the demo's
// staged post; Jordan's duty officer neither sees it nor can sign it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, signIn, axePath, api, artifacts, base } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const TAXII = 'application/taxii+json;version=2.1';
const GREEN = 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb';

async function english(member, opts = {}) {
  const s = await signIn(browser, member, opts);
  await s.page.goto('/intel?lang=en');
  return s;
}

// misp is a TAXII client with the credentials the page showed.
function misp(creds) {
  const auth = 'Basic ' + Buffer.from(creds.username + ':' + creds.password).toString('base64');
  return async (url, init = {}) => {
    const r = await fetch(new URL(url, base), { ...init, headers: { Accept: TAXII, Authorization: auth, ...init.headers } });
    const text = await r.text();
    return { status: r.status, type: r.headers.get('content-type'), body: text ? JSON.parse(text) : null };
  };
}

// objects are what a platform posts: its own ids, no bundle around them.
function objects(name) {
  const at = new Date(Date.now() - 600e3).toISOString().replace(/\.\d+Z$/, '.000Z');
  const common = (type) => ({ type, spec_version: '2.1', id: `${type}--${crypto.randomUUID()}`, created: at, modified: at, object_marking_refs: [GREEN] });
  const indicator = { ...common('indicator'), name: 'Spotter phone', pattern: "[ipv4-addr:value = '198.51.100.91']", pattern_type: 'stix', valid_from: at };
  const place = { ...common('location'), name: 'Ridge above Hader', latitude: 33.2631, longitude: 35.7529 };
  const report = { ...common('report'), name, published: at, object_refs: [indicator.id, place.id] };
  return [indicator, place, report];
}

// issue presses the page's button and reads the credentials it shows.
async function issue(page) {
  await page.getByRole('button', { name: 'Issue new credentials' }).click();
  const shown = page.locator('#taxii-shown');
  await shown.waitFor();
  await page.locator('[data-taxii-status]', { hasText: 'New TAXII credentials issued' }).waitFor();
  const creds = {};
  for (const f of ['discovery', 'api_root', 'username', 'password', 'expires']) creds[f] = await page.locator(`#taxii-${f}`).inputValue();
  return creds;
}

// signStaged signs an intel.submit of a staged post's bytes with the page's
// own key, as intel.js does, and answers the status (0 for success).
function signStaged(page, id, bytes) {
  return page.evaluate(async ([i, b]) => {
    const { signAndSubmitSpliced } = await import('/static/js/page.js');
    try {
      await signAndSubmitSpliced('/intel/submissions', 'intel.submit', { title: 'Signed by hand', staged: i }, 'bundle', new TextEncoder().encode(b));
      return 0;
    } catch (e) {
      return e.status ?? -1;
    }
  }, [id, bytes]);
}

async function axeOn(page, include) {
  await page.addScriptTag({ path: axePath });
  return page.evaluate(async (sel) => {
    // eslint-disable-next-line no-undef
    const res = await axe.run({ include: sel.map((s) => [s]) }, { resultTypes: ['violations'] });
    return res.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  }, include);
}

test('a platform posts over TAXII, the analyst signs it in the browser', async () => {
  const il = await english('il.intelligence', { bypassCSP: true, permissions: ['clipboard-read', 'clipboard-write'] });
  const us = await english('us.duty');
  try {
    const creds = await issue(il.page);
    assert.equal(creds.username, 'il.intelligence');
    assert.match(creds.password, /^ltx_/);
    assert.equal(creds.discovery, base + '/taxii2/');
    assert.equal(creds.api_root, base + '/taxii2/il-sy/');
    assert.ok(Date.parse(creds.expires) > Date.now(), creds.expires);
    // The URLs the section shows before any credentials are the same.
    assert.equal(await il.page.locator('[data-taxii-url="/taxii2/"]').textContent(), creds.discovery);
    // Copy puts the password on the clipboard.
    await il.page.getByRole('button', { name: 'Copy Password' }).click();
    await il.page.locator('[data-taxii-status]', { hasText: 'Copied.' }).waitFor();
    assert.equal(await il.page.evaluate(() => navigator.clipboard.readText()), creds.password);
    assert.deepEqual(await axeOn(il.page, ['#taxii']), []);

    // MISP: discovery, the API root, its collections.
    const taxii = misp(creds);
    const disc = await taxii(creds.discovery);
    assert.equal(disc.status, 200);
    assert.match(disc.type, /^application\/taxii\+json/);
    assert.deepEqual(disc.body.api_roots.map((u) => new URL(u, creds.discovery).href), [creds.api_root]);
    const root = await taxii(creds.api_root);
    assert.equal(root.status, 200);
    assert.ok(root.body.versions.includes('application/taxii+json;version=2.1'));
    const colls = await taxii(creds.api_root + 'collections/');
    assert.equal(colls.status, 200);
    const writable = colls.body.collections.filter((c) => c.can_write);
    assert.equal(writable.length, 1, JSON.stringify(colls.body));
    const submitted = writable[0];
    assert.match(submitted.title, /^Submitted by /);
    assert.ok(colls.body.collections.some((c) => /^Released to /.test(c.title) && !c.can_write));
    // Nothing of the API opens with these credentials.
    const apiTry = await fetch(base + '/api/v1/intel/submissions', { headers: { Authorization: 'Basic ' + Buffer.from(creds.username + ':' + creds.password).toString('base64') } });
    assert.equal(apiTry.status, 401);

    // MISP posts three objects.
    const name = `Spotters on the ridge above Hader ${Date.now().toString(36)}`;
    const posted = objects(name);
    const post = await taxii(`${creds.api_root}collections/${submitted.id}/objects/`, {
      method: 'POST', headers: { 'Content-Type': TAXII }, body: JSON.stringify({ objects: posted }),
    });
    assert.equal(post.status, 202, JSON.stringify(post.body));
    assert.equal(post.body.status, 'pending');
    assert.equal(post.body.total_count, 3);
    assert.equal(post.body.pending_count, 3);
    const statusURL = `${creds.api_root}status/${post.body.id}/`;
    assert.equal((await taxii(statusURL)).body.status, 'pending');

    // Back in the browser: the post waits for Israel's analyst, on the
    // page he still has open, as the stream brings it.
    const { staged } = await api(il.page, '/intel/staged');
    const mine = staged.find((s) => s.status === post.body.id);
    assert.ok(mine, 'the post is not listed: ' + JSON.stringify(staged));
    assert.equal(mine.state, 'pending');
    const item = il.page.locator(`li[data-staged="${mine.id}"]`);
    await item.waitFor();
    await il.page.locator('[data-staged-news]', { hasText: 'waits for your signature' }).waitFor({ state: 'attached' });
    assert.match(await item.textContent(), /3 objects, posted/);
    assert.equal(await item.locator('[data-taxii-status-id]').textContent(), post.body.id);
    // What it holds, as cards, and its report's name as the title.
    await item.getByText('What it holds').click();
    await item.locator('[data-stix-type="location"]', { hasText: 'Ridge above Hader' }).waitFor();
    assert.equal(await item.locator('[data-stix-type="indicator"] pre.pattern').textContent(), "[ipv4-addr:value = '198.51.100.91']");
    assert.equal(await item.getByLabel('Title').inputValue(), name);
    // The preview reads the staged bytes, as they will be signed.
    await item.locator('[data-preview][data-count="3"]').waitFor();
    assert.match(await item.locator('[data-preview]').textContent(), /3 objects: indicator × 1, location × 1, report × 1/);
    assert.equal(await item.locator('code.hash').textContent(), mine.sha256);
    assert.deepEqual(await axeOn(il.page, ['section.staged']), []);
    await item.getByLabel('Title').fill(name);
    await Promise.all([il.page.waitForEvent('load'), item.getByRole('button', { name: 'Sign and submit' }).click()]);

    // Signed: the status is complete, the post leaves the list, the
    // submission holds exactly the staged bytes.
    const done = await taxii(statusURL);
    assert.equal(done.status, 200);
    assert.equal(done.body.status, 'complete');
    assert.equal(done.body.success_count, 3);
    assert.equal(done.body.pending_count, 0);
    assert.equal(await il.page.locator(`li[data-staged="${mine.id}"]`).count(), 0);
    const after = (await api(il.page, '/intel/staged')).staged.find((s) => s.id === mine.id);
    assert.equal(after.state, 'complete');
    assert.ok(after.submission > 0);
    const row = il.page.locator(`[data-submission="${after.submission}"]`);
    await row.waitFor();
    assert.match(await row.textContent(), new RegExp(name));
    const signed = await (await il.page.request.get(`/api/v1/intel/submissions/${after.submission}/bundle`)).text();
    const stagedBytes = await (await il.page.request.get(`/api/v1/intel/staged/${mine.id}/bundle`)).text();
    assert.equal(signed, stagedBytes);
    assert.deepEqual(JSON.parse(signed).objects, posted);
    // The objects entered Israel's submitted collection.
    const inColl = await taxii(`${creds.api_root}collections/${submitted.id}/objects/?match[id]=${posted[2].id}`);
    assert.equal(inColl.status, 200);
    assert.equal(inColl.body.objects?.[0]?.name, name);

    // The mediator's queue has it.
    await us.page.goto('/intel/queue?lang=en');
    await us.page.locator(`tr[data-submission="${after.submission}"][data-step="propose"]`).waitFor();
    await il.page.screenshot({ path: path.join(artifacts, 'intel-taxii.png'), fullPage: true });

    // Shown once: the page, read again, holds no password.
    await il.page.goto('/intel?lang=en');
    assert.equal(await il.page.locator('#taxii-shown').isHidden(), true);
    assert.ok(!(await il.page.content()).includes(creds.password));

    // Revoked: the next TAXII request is refused.
    await il.page.getByRole('button', { name: 'Revoke credentials' }).click();
    await il.page.locator('[data-taxii-status]', { hasText: 'revoked' }).waitFor();
    assert.equal(await il.page.locator('#taxii-shown').isHidden(), true);
    const refused = await taxii(creds.discovery);
    assert.equal(refused.status, 401);
    const challenge = await fetch(creds.discovery, { headers: { Accept: TAXII, Authorization: 'Basic ' + Buffer.from(creds.username + ':' + creds.password).toString('base64') } });
    assert.match(challenge.headers.get('www-authenticate') || '', /^Basic /);
  } finally {
    await il.context.close();
    await us.context.close();
  }
});

test('Jordan\'s analyst signs the demo\'s staged post; his colleague cannot', async () => {
  const jo = await english('jo.intelligence', { bypassCSP: true });
  const duty = await english('jo.duty');
  const il = await english('il.intelligence');
  try {
    const { staged } = await api(jo.page, '/intel/staged');
    const demo = staged.find((s) => s.member === 'jo.intelligence' && s.count === 6 && s.state === 'pending');
    assert.ok(demo, 'the demo\'s staged post is missing: ' + JSON.stringify(staged));
    const bytes = await (await jo.page.request.get(`/api/v1/intel/staged/${demo.id}/bundle`)).text();
    assert.match(bytes, /Smuggling route across the Yarmouk/);

    // His colleague and another party see nothing of it, and cannot sign it.
    duty.member = 'jo.duty';
    il.member = 'il.intelligence';
    for (const other of [duty, il]) {
      await other.page.goto('/intel?lang=en');
      assert.equal(await other.page.locator(`li[data-staged="${demo.id}"]`).count(), 0);
      assert.equal(await other.page.locator('section.staged').count(), 0);
      assert.ok(!(await other.page.content()).includes(demo.sha256));
      assert.ok(!(await api(other.page, '/intel/staged')).staged.some((s) => s.id === demo.id || s.member !== other.member));
      assert.equal((await other.page.request.get(`/api/v1/intel/staged/${demo.id}/bundle`)).status(), 404);
      // Even with the bytes, the signature is his own, not the poster's.
      const refused = await signStaged(other.page, demo.id, bytes);
      assert.ok(refused >= 400 && refused < 500, `signing another member's post answered ${refused}`);
    }

    // The sections right to left, and axe on them in each language.
    for (const lang of ['ar', 'he']) {
      await jo.page.goto(`/intel?lang=${lang}`);
      assert.equal(await jo.page.locator('html').getAttribute('dir'), 'rtl');
      await jo.page.locator(`li[data-staged="${demo.id}"] [data-preview][data-count="6"]`).waitFor();
      assert.equal(await jo.page.locator(`li[data-staged="${demo.id}"] code.hash`).getAttribute('dir'), 'ltr');
      assert.deepEqual(await axeOn(jo.page, ['section.staged', '#taxii']), [], lang);
    }
    await jo.page.goto('/intel?lang=en');
    const item = jo.page.locator(`li[data-staged="${demo.id}"]`);
    await item.locator('[data-preview][data-count="6"]').waitFor();
    assert.deepEqual(await axeOn(jo.page, ['section.staged', '#taxii']), []);
    const title = 'Smuggling route across the Yarmouk';
    await item.getByLabel('Title').fill(title);
    await Promise.all([jo.page.waitForEvent('load'), item.getByRole('button', { name: 'Sign and submit' }).click()]);
    const signedPost = (await api(jo.page, '/intel/staged')).staged.find((s) => s.id === demo.id);
    assert.equal(signedPost.state, 'complete');
    const held = await (await jo.page.request.get(`/api/v1/intel/submissions/${signedPost.submission}/bundle`)).text();
    assert.equal(held, bytes);
    await jo.page.locator(`[data-submission="${signedPost.submission}"]`, { hasText: title }).waitFor();
    // Signed once: a second signature of the same post is refused.
    assert.equal(await signStaged(jo.page, demo.id, bytes), 409);
  } finally {
    for (const s of [jo, duty, il]) await s.context.close();
  }
});
