// The intelligence desk in a real browser: Israel's analyst uploads a STIX
// bundle file, whose exact bytes the browser signs; the mediator's analyst
// proposes a sanitized release to Syria and cannot approve it himself; the
// duty officer approves it and publishes the draft; Syria reads the cards,
// sees the location on the map and downloads the bundle as signed. Syria's
// duty officer does not see the TLP:RED report released to sy.intelligence
// by name. The pages in Arabic and Hebrew, and axe-core on each.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { launch, signIn, axePath, api, artifacts, unique } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const AMBER = 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421';

// bundleFile writes a bundle as a platform might export it: indented its
// own way, which the signature must keep byte for byte.
async function bundleFile(title) {
  const at = new Date(Date.now() - 3600e3).toISOString().replace(/\.\d+Z$/, '.000Z');
  const common = (type) => ({ type, spec_version: '2.1', id: `${type}--${crypto.randomUUID()}`, created: at, modified: at, object_marking_refs: [AMBER] });
  const indicator = { ...common('indicator'), name: 'Mortar team radio', pattern: "[ipv4-addr:value = '198.51.100.77']", pattern_type: 'stix', valid_from: at };
  const actor = { ...common('threat-actor'), name: 'Mortar cell 3', threat_actor_types: ['militia'] };
  const place = { ...common('location'), name: 'Field east of Khan Arnabah', latitude: 33.1873, longitude: 35.8811 };
  const report = { ...common('report'), name: title, published: at, object_refs: [indicator.id, actor.id, place.id] };
  const bundle = { type: 'bundle', id: `bundle--${crypto.randomUUID()}`, objects: [indicator, actor, place, report] };
  const text = JSON.stringify(bundle, null, 3) + '\n';
  const file = path.join(artifacts, 'intel-upload.json');
  await writeFile(file, text);
  return { file, text };
}

async function english(member, opts = {}) {
  const s = await signIn(browser, member, opts);
  await s.page.goto('/intel?lang=en');
  return s;
}

async function send(page, form) {
  await Promise.all([page.waitForEvent('load'), page.locator(form + ' button[type="submit"]').click()]);
}

test('a report from upload to Syria\'s map, each step signed in the browser', async () => {
  const il = await english('il.intelligence');
  const analyst = await english('us.intelligence');
  const duty = await english('us.duty');
  const sy = await english('sy.intelligence', { acceptDownloads: true });
  try {
    const title = unique('Mortar team near Khan Arnabah');
    const { file, text } = await bundleFile(title);

    // Israel: choose the file, read what it holds, sign it.
    const form = il.page.locator('#submit-intel');
    await form.getByLabel('Bundle file (STIX 2.1 JSON)').setInputFiles(file);
    await form.locator('[data-preview][data-count="4"]').waitFor();
    assert.match(await form.locator('[data-preview]').textContent(), /4 objects: indicator × 1, location × 1, report × 1, threat-actor × 1/);
    await form.getByLabel('Title').fill(title);
    await form.getByLabel(/Note to the mediator/).fill('Share the area with Syria; keep the cell to us.');
    await send(il.page, '#submit-intel');
    const { submissions } = await api(il.page, '/intel/submissions');
    const sub = submissions.find((s) => s.title === title);
    assert.ok(sub, 'the submission is not listed');
    assert.equal(sub.tlp, 'TLP:AMBER');
    await il.page.locator(`[data-submission="${sub.id}"]`, { hasText: 'Waiting for the gate' }).waitFor();
    // The file's bytes were spliced, not rewritten: the desk holds them as
    // they were (its own indentation), up to the newline after the last
    // brace, which in the payload falls between its JSON tokens.
    const held = await il.page.request.get(`/api/v1/intel/submissions/${sub.id}/bundle`);
    assert.equal(await held.text(), text.trimEnd());

    // The mediator's analyst proposes a sanitized release to Syria.
    const page = `/intel/submissions/${sub.id}?lang=en`;
    await analyst.page.goto('/intel/queue?lang=en');
    await analyst.page.locator(`tr[data-submission="${sub.id}"][data-step="propose"]`).waitFor();
    await analyst.page.goto(page);
    const propose = analyst.page.locator('#propose-intel');
    await propose.locator('input[name="to"][value="sy"]').check();
    await propose.locator('input[name="remove_types"][value="threat-actor"]').check();
    await propose.getByLabel(/Coarsen locations/).fill('5');
    await propose.getByLabel('Reason').fill('Syria can act on the area; the cell\'s name would expose the source.');
    await send(analyst.page, '#propose-intel');
    const proposal = analyst.page.locator('[data-proposal][data-status="proposed"]');
    await proposal.waitFor();
    assert.match(await proposal.getAttribute('data-proposal'), /^[0-9a-f]{32}$/);
    // Four eyes: the proposer's approve button is disabled, and says why.
    const own = analyst.page.locator('#approve-intel button[type="submit"]');
    assert.equal(await own.isDisabled(), true);
    assert.match(await analyst.page.locator('#four-eyes').textContent(), /another member of the mediator must approve/);

    // The duty officer approves, reads the draft and publishes it.
    await duty.page.goto(page);
    assert.equal(await duty.page.locator('#approve-intel button[type="submit"]').isDisabled(), false);
    await send(duty.page, '#approve-intel');
    const publish = duty.page.locator('#publish-intel');
    await publish.getByRole('button', { name: 'Show the draft' }).click();
    await publish.locator('[data-draft-summary]', { hasText: '3 objects' }).waitFor();
    const released = title.replace('Mortar team', 'Mortar fire positions');
    await publish.getByLabel('Title the recipients read').fill(released);
    await send(duty.page, '#publish-intel');
    await duty.page.locator('[data-compare] [data-side="original"] [data-mark="removed"]').first().waitFor();
    await duty.page.locator('[data-compare] [data-side="derived"] [data-mark="coarsened"]').first().waitFor();

    // Syria: the cards, the location on the map, the bundle as signed.
    await sy.page.goto('/intel/released?lang=en');
    const card = sy.page.locator('article.release', { hasText: released });
    await card.waitFor();
    assert.equal(await card.locator('.tlp').first().textContent(), 'TLP:AMBER');
    assert.equal(await card.locator('[data-stix-type="indicator"] pre.pattern').textContent(), "[ipv4-addr:value = '198.51.100.77']");
    await card.locator('[data-stix-type="location"]', { hasText: 'Field east of Khan Arnabah' }).waitFor();
    assert.equal(await card.locator('[data-stix-type="threat-actor"]').count(), 0);
    assert.equal(await card.getByText('Mortar cell 3').count(), 0);
    await card.locator('.intel-map[data-shapes="1"][data-basemap-loaded]').waitFor();
    assert.ok(await card.locator('.intel-map path.intel-point').count() >= 1, 'the location is not drawn');
    const id = await card.getAttribute('data-release');
    const [download] = await Promise.all([sy.page.waitForEvent('download'), card.getByRole('link', { name: /Download the bundle/ }).click()]);
    const got = await readFile(await download.path(), 'utf8');
    const want = await (await sy.page.request.get(`/api/v1/intel/releases/${id}/bundle`)).text();
    assert.equal(got, want);
    assert.ok(!got.includes('Mortar cell 3'));
    await sy.page.screenshot({ path: path.join(artifacts, 'intel-released.png'), fullPage: true });
    // Answering it prefills the reply.
    await card.getByRole('link', { name: 'Answer with a sighting' }).click();
    assert.equal(await sy.page.locator('#si-reply').inputValue(), id);
  } finally {
    for (const s of [il, analyst, duty, sy]) await s.context.close();
  }
});

test('Syria\'s duty officer does not see the TLP:RED report released to sy.intelligence', async () => {
  const officer = await english('sy.intelligence');
  const duty = await english('sy.duty');
  try {
    await officer.page.goto('/intel/released?lang=en');
    const red = officer.page.locator('article.release', { hasText: 'Convoy timing' });
    await red.waitFor();
    assert.equal(await red.locator('h2 .tlp').textContent(), 'TLP:RED');
    await duty.page.goto('/intel/released?lang=en');
    await duty.page.locator('article.release').first().waitFor();
    assert.equal(await duty.page.locator('article.release', { hasText: 'Convoy timing' }).count(), 0);
    assert.ok(!(await duty.page.content()).includes('203.0.113.41'));
  } finally {
    await officer.context.close();
    await duty.context.close();
  }
});

test('the pages in Arabic and Hebrew are right to left', async () => {
  const sy = await signIn(browser, 'sy.intelligence');
  const us = await signIn(browser, 'us.intelligence');
  try {
    for (const [s, url, lang] of [[sy, '/intel?lang=ar', 'ar'], [sy, '/intel/released?lang=ar', 'ar'], [us, '/intel/queue?lang=he', 'he'], [sy, '/intel/released?lang=he', 'he']]) {
      await s.page.goto(url);
      assert.equal(await s.page.locator('html').getAttribute('dir'), 'rtl', url);
      assert.equal(await s.page.locator('html').getAttribute('lang'), lang, url);
      // Patterns and ids stay left to right inside the right-to-left page.
      for (const pre of await s.page.locator('pre.pattern').all()) assert.equal(await pre.getAttribute('dir'), 'ltr');
    }
    await sy.page.goto('/intel/released?lang=ar');
    assert.ok((await sy.page.locator('h1').textContent()).includes('أُفرج'));
  } finally {
    await sy.context.close();
    await us.context.close();
  }
});

test('axe finds no violation on the desk\'s pages', async () => {
  const us = await signIn(browser, 'us.duty', { bypassCSP: true });
  const sy = await signIn(browser, 'sy.intelligence', { bypassCSP: true });
  try {
    const { submissions } = await api(us.page, '/intel/submissions');
    const found = {};
    const audit = async (page, url) => {
      await page.goto(url);
      await page.addScriptTag({ path: axePath });
      const r = await page.evaluate(async () => {
        // eslint-disable-next-line no-undef
        const res = await axe.run(document, { resultTypes: ['violations'] });
        return { rules: res.passes.length + res.violations.length, violations: res.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })) };
      });
      assert.ok(r.rules > 20, `axe applied only ${r.rules} rules to ${url}`);
      if (r.violations.length) found[url] = r.violations;
    };
    for (const lang of ['en', 'ar', 'he']) {
      await audit(us.page, `/intel/queue?lang=${lang}`);
      await audit(us.page, `/intel?lang=${lang}`);
      for (const s of submissions) await audit(us.page, `/intel/submissions/${s.id}?lang=${lang}`);
      await audit(sy.page, `/intel?lang=${lang}`);
      await audit(sy.page, `/intel/released?lang=${lang}`);
    }
    assert.deepEqual(found, {});
  } finally {
    await us.context.close();
    await sy.context.close();
  }
});
