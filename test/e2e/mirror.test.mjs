// A party's own mirror in the browser: Syria's officer runs `liaison
// mirror --listen` beside the demo cell, as Damascus would, and signs in
// there; every page says whose mirror it is and at which size it verified
// the record, Syria's line reads as at the cell, Israel's line is not
// there at all, and the pages run right to left in Arabic. A colleague who
// signs in there makes a device key that the mirror vouches for in its
// admin's name, and writes through it to the cell, a file attached.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch, base, password, signIn, api, unique } from './harness.mjs';

const bin = process.env.LIAISON_E2E_BIN;
// test/e2e/run keeps the demo's data beside the binary.
const keyDir = path.join(path.dirname(bin), 'data', 'demo-keys');

let browser, dir, mirror, mirrorURL;

before(async () => {
  browser = await launch();
  dir = mkdtempSync(path.join(os.tmpdir(), 'liaison-mirror-'));
  const env = { ...process.env, LIAISON_CONFIG_DIR: path.join(dir, 'config'), LIAISON_INSECURE_FAST_PASSWORDS: '1' };
  const cli = (args, input) => execFileSync(bin, args, { env, input, encoding: 'utf8' });
  cli(['login', '--server', base, '--username', 'sy.duty', '--key', path.join(keyDir, 'sy.duty.key'), '--password-stdin'], password + '\n');
  const data = path.join(dir, 'mirror');
  cli(['mirror', '--once', '--data', data]);
  cli(['mirror', 'user', '--data', data, '--member', 'sy.duty', '--password-stdin'], password + '\n');
  cli(['mirror', 'user', '--data', data, '--member', 'sy.military', '--password-stdin'], password + '\n');
  mirror = spawn(bin, ['mirror', '--data', data, '--listen', '127.0.0.1:0', '--insecure-cookies'], { env });
  mirrorURL = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the mirror did not serve within a minute:\n' + out)), 60000);
    mirror.stdout.on('data', (b) => {
      out += b;
      const m = out.match(/Serving Syria's mirror read-only at (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    mirror.stderr.on('data', (b) => { out += b; });
    mirror.on('exit', (code) => { clearTimeout(timer); reject(new Error(`the mirror exited (${code}):\n${out}`)); });
  });
});

after(async () => {
  await browser?.close();
  mirror?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("Syria's officer reads Syria's record at Syria's own mirror, and nothing of Israel's", async () => {
  const context = await browser.newContext({ baseURL: mirrorURL, locale: 'en-US', viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto('/login');
    const banner = page.getByRole('region', { name: "Your party's mirror" });
    await banner.getByText("This is Syria's own mirror of the cell's record, read-only.").waitFor();
    await page.getByLabel('Username').fill('sy.duty');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/dashboard', { timeout: 30000 });
    assert.match(await banner.innerText(), /This is Syria's own mirror of the cell's record: read-only, verified at size \d+\./);
    assert.match(await banner.innerText(), /Last heard from the cell: /);
    assert.doesNotMatch(await banner.innerText(), /line to the cell is down/);
    // Its browser key, made here, is vouched for by the mirror: no alert.
    await page.goto('/device');
    await page.getByText('This browser holds a registered device key.').waitFor({ timeout: 20000 });

    // Syria's line, as the cell serves it to Syria.
    const res = await page.goto('/channels/line-sy');
    if (res.status() !== 200) throw new Error('line-sy: ' + res.status() + await page.content());
    await page.getByRole('main').getByText('Confirm receipt of the revised patrol schedule for sector south').first().waitFor();
    const atCell = await (await page.request.get(base + '/healthz')).ok();
    assert.ok(atCell, 'the cell answers');

    // Israel's line is not held here: not found, and not named.
    const resp = await page.goto('/channels/line-il');
    assert.equal(resp.status(), 404);
    const ids = await (await page.request.get('/api/v1/channels')).json();
    assert.ok(!JSON.stringify(ids).includes('line-il'), "Israel's line is listed at Syria's mirror");

    // The same banner right to left in Arabic.
    await page.goto('/dashboard?lang=ar');
    assert.equal(await page.locator('html').getAttribute('dir'), 'rtl');
    assert.match(await page.getByRole('region', { name: 'نسخة طرفك' }).innerText(), /سوريا/);
    await page.screenshot({ path: path.join(path.dirname(new URL(import.meta.url).pathname), 'artifacts', 'mirror-ar.png') });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

// signInAtMirror signs member in at Syria's mirror in a fresh context (on
// the way the browser makes its key and the mirror vouches for it), and
// collects the page's errors from the start.
async function signInAtMirror(member) {
  const context = await browser.newContext({ baseURL: mirrorURL, locale: 'en-US', viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/login');
  await page.getByLabel('Username').fill(member);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/dashboard', { timeout: 30000 });
  return { context, page, errors };
}

test("A colleague's new browser key is vouched for by Syria's mirror, and what it signs lands at the cell as theirs", async () => {
  const { context, page, errors } = await signInAtMirror('sy.military');
  let us;
  try {
    const keyId = await page.evaluate(async () => (await (await import('/static/js/crypto.js')).loadKey('sy.military')).keyId);
    assert.ok(keyId, 'no key was made at the mirror');

    await page.goto('/channels/line-sy');
    const subject = unique('Written at the mirror');
    const compose = page.getByRole('form', { name: 'Compose' });
    await compose.getByLabel('Subject').fill(subject);
    await compose.getByLabel('Message', { exact: true }).fill('Signed in Damascus with a key the mirror vouched for.');
    await compose.getByRole('button', { name: 'Send' }).click();
    await compose.getByText('Sent.', { exact: true }).waitFor({ timeout: 20000 });

    // At the cell, the mediator reads the message as sy.military's, and the
    // key as vouched for by the mirror's admin.
    us = await signIn(browser, 'us.duty');
    const key = await api(us.page, '/keys/' + encodeURIComponent(keyId));
    assert.equal(key.member, 'sy.military');
    assert.equal(key.vouched_by, 'sy.duty');
    const msgs = await api(us.page, '/channels/line-sy/messages');
    const mine = msgs.messages.find((x) => x.subject === subject);
    assert.ok(mine, 'the message did not reach the cell');
    assert.equal(mine.sender, 'sy.military');

    // And back at the mirror, once it followed, the message is on the line.
    await page.goto('/channels/line-sy');
    await page.getByRole('main').getByText(subject).first().waitFor({ timeout: 30000 });

    // A write the cell refuses (Israel's line is not Syria's to write on)
    // stays in the banner with the cell's reason until its member, having
    // read it, dismisses it.
    const refused = await page.evaluate(async () => {
      const { signAndSubmit } = await import('/static/js/page.js');
      try {
        await signAndSubmit('/messages', 'message.send', { channel: 'line-il', subject: 'Not ours', body: 'x', lang: 'en', precedence: 'ROUTINE' });
        return null;
      } catch (e) { return e.message; }
    });
    assert.match(refused ?? '', /refused/, 'the refusal was not passed on');
    await page.goto('/dashboard');
    const banner = page.getByRole('region', { name: "Your party's mirror" });
    const dismiss = banner.getByRole('button', { name: 'Dismiss: I have read why the cell refused it' });
    await dismiss.waitFor();
    assert.match(await banner.innerText(), /refused by the cell/);
    await dismiss.click();
    await page.waitForLoadState('load');
    await page.waitForFunction(() => !document.querySelector('section.mirror button[data-dismiss]'), null, { timeout: 20000 });
    assert.doesNotMatch(await banner.innerText(), /refused by the cell/);
    assert.deepEqual(errors, []);
  } finally {
    await us?.context.close();
    await context.close();
  }
});

test("A file attached at Syria's mirror reaches the cell with the message that carries it", async () => {
  const { context, page, errors } = await signInAtMirror('sy.military');
  let us;
  try {

    await page.goto('/channels/line-sy');
    const subject = unique('Photograph from Damascus');
    const photo = Buffer.from('a small photograph of the crossing, taken at 0412Z');
    const compose = page.getByRole('form', { name: 'Compose' });
    await compose.getByLabel('Subject').fill(subject);
    await compose.getByLabel('Message', { exact: true }).fill('The crossing this morning; the photograph is attached.');
    await compose.getByLabel('Attachments').setInputFiles({ name: 'crossing.txt', mimeType: 'text/plain', buffer: photo });
    await compose.getByRole('button', { name: 'Send' }).click();
    await compose.getByText('Sent.', { exact: true }).waitFor({ timeout: 20000 });

    // The mediator, at the cell, reads the message with its attachment,
    // and downloads the file the mirror sent ahead of it.
    us = await signIn(browser, 'us.duty');
    const msgs = await api(us.page, '/channels/line-sy/messages');
    const mine = msgs.messages.find((x) => x.subject === subject);
    assert.ok(mine, 'the message did not reach the cell');
    assert.equal(mine.sender, 'sy.military');
    assert.equal(mine.attachments?.length, 1, 'the message reached the cell without its attachment');
    assert.equal(mine.attachments[0].name, 'crossing.txt');
    const got = await us.page.request.get('/api/v1/blobs/' + mine.attachments[0].sha256);
    assert.equal(got.status(), 200);
    assert.deepEqual(Buffer.from(await got.body()), photo);

    // Back at the mirror, once it followed, the message carries its file,
    // which the mirror serves from what it holds.
    await page.goto('/channels/line-sy');
    const link = page.getByRole('main').getByRole('link', { name: 'crossing.txt' });
    await link.first().waitFor({ timeout: 30000 });
    const local = await page.request.get('/api/v1/blobs/' + mine.attachments[0].sha256);
    assert.equal(local.status(), 200);
    assert.deepEqual(Buffer.from(await local.body()), photo);
    assert.deepEqual(errors, []);
  } finally {
    await us?.context.close();
    await context.close();
  }
});
