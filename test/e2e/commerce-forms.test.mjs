// The commercial desk's editing forms in a real browser, each signed with
// the member's own device key: Jordan changes its pledge to the wind farm
// (its conditions and a tranche of its schedule) while Syria still reads no
// amount of it, and a change from pages loaded before a colleague's is
// refused, saying whose came between; Israel adds a milestone gated on the
// cell's posture and a document to the ski resort, and the page shows
// both; and axe-core on the pages with the forms open.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { launch, signIn, axePath, api } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const stamp = () => Date.now().toString(36) + Math.random().toString(36).slice(2, 5);

// send submits a form whose script reloads the page when done.
async function send(page, form) {
  await Promise.all([page.waitForEvent('load'), form.locator('button[type="submit"]').last().click()]);
}

test('Jordan changes its pledge\'s conditions and a tranche in the browser; Syria still reads no amount', async () => {
  const jo = await signIn(browser, 'jo.commercial');
  const sy = await signIn(browser, 'sy.commercial');
  try {
    await jo.page.goto('/pledges?lang=en');
    const pledge = jo.page.locator('#pledge-jo-wind');
    await pledge.getByText('Change this pledge', { exact: true }).first().click();
    const form = pledge.locator('form.update-form');
    assert.equal(await form.getAttribute('data-method'), 'PUT');
    assert.match(await form.innerText(), /An amount of 0 withdraws the pledge/);
    const conditions = 'Paid in two tranches, the first once the turbines are ordered. ' + stamp();
    await form.getByLabel('Conditions').fill(conditions);
    await form.getByRole('button', { name: 'Add a tranche' }).click();
    const tranche = form.locator('[data-list="pledge.schedule"] > li').last();
    // To the second: what the funder types is what is signed and shown.
    await tranche.getByLabel('Due (UTC)').fill('2027-03-01T12:00:30');
    await tranche.getByLabel('Amount (whole units)').fill('9250000');
    await send(jo.page, form);

    const p = await api(jo.page, '/pledges/jo-wind');
    const x = p.pledge ?? p;
    assert.equal(x.conditions, conditions);
    assert.equal(x.amount, 18_500_000, 'the amount is kept as the form held it');
    assert.deepEqual(x.schedule.map((t) => [t.due, t.amount]), [['2027-03-01T12:00:30Z', 9_250_000]]);
    await jo.page.locator('#pledge-jo-wind', { hasText: '9,250,000 USD' }).waitFor();
    assert.match(await jo.page.locator('#pledge-jo-wind').innerText(), /2027-03-01 12:00:30 UTC/);
    await jo.page.locator('#pledge-jo-wind .pledge-update > summary').first().click();
    assert.equal(await jo.page.locator('#pledge-jo-wind [data-list="pledge.schedule"] input[data-key="due"]').last().inputValue(), '2027-03-01T12:00:30',
      'the form shows again the time as typed');
    assert.match(await jo.page.locator('#pledge-jo-wind').innerText(), /Paid in two tranches/);

    for (const url of ['/pledges?lang=en', '/projects/golan-wind?lang=en', '/projects?lang=en']) {
      await sy.page.goto(url);
      const body = await sy.page.locator('main').innerText();
      for (const s of ['18,500,000', '18500000', '9,250,000', 'jo-wind', conditions]) assert.ok(!body.includes(s), `Syria reads ${s} on ${url}`);
    }
  } finally {
    await Promise.all([jo.context.close(), sy.context.close()]);
  }
});

test('a change to Jordan\'s pledge from pages loaded before a colleague\'s is refused, and the form says whose change came between, in English and Hebrew', async () => {
  const jo = await signIn(browser, 'jo.commercial');
  const duty = await signIn(browser, 'jo.duty');
  try {
    // Two tabs of Jordan's commercial officer, each with the form open and
    // a change typed in, so that neither is refreshed away under them.
    const tabs = [];
    for (const lang of ['en', 'he']) {
      const page = lang === 'en' ? jo.page : await jo.context.newPage();
      await page.goto(`/pledges?lang=${lang}`);
      await page.locator('#pledge-jo-wind .pledge-update > summary').first().click();
      const form = page.locator('#pledge-jo-wind form.update-form');
      await form.locator('textarea[name="pledge.conditions"]').fill('Paid on signature, ' + lang + ' ' + stamp());
      tabs.push({ lang, form });
    }
    const before = (await api(jo.page, '/pledges/jo-wind')).version;
    // Jordan's duty officer changes the pledge meanwhile.
    await duty.page.goto('/pledges?lang=en');
    await duty.page.locator('#pledge-jo-wind .pledge-update > summary').first().click();
    const theirs = 'Paid once the turbines are ordered, as the duty officer agreed. ' + stamp();
    const dform = duty.page.locator('#pledge-jo-wind form.update-form');
    await dform.getByLabel('Conditions').fill(theirs);
    await send(duty.page, dform);

    const said = {};
    for (const { lang, form } of tabs) {
      await form.locator('button[type="submit"]').last().click();
      const error = form.locator('[data-error]');
      await error.filter({ hasText: lang === 'en' ? 'This pledge changed after you loaded the page' : 'ההתחייבות השתנתה אחרי שטענת את הדף' }).waitFor();
      said[lang] = await error.innerText();
      // The version that stands, the one read, who made it: each isolated
      // in the sentence, whichever its direction.
      const parts = await error.locator('bdi').allInnerTexts();
      assert.equal(parts.length, 4, `the ${lang} conflict: ${said[lang]}`);
      for (const x of [before + 1, 'jo.duty', before]) assert.ok(parts.includes(String(x)), `the ${lang} conflict does not say ${x}: ${said[lang]}`);
    }
    assert.match(said.en, new RegExp(`version ${before + 1}, by jo\\.duty at \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} UTC`));
    assert.match(said.en, new RegExp(`made on version ${before}\\b`));
    const now = await api(jo.page, '/pledges/jo-wind');
    assert.equal(now.version, before + 1);
    assert.equal(now.conditions, theirs, 'a stale change undid the duty officer\'s');
  } finally {
    await Promise.all([jo.context.close(), duty.context.close()]);
  }
});

test('Israel adds a milestone with a posture gate and a document to the ski resort, and the page shows both', async () => {
  const il = await signIn(browser, 'il.commercial');
  try {
    await il.page.goto('/projects/hermon-ski?lang=en');
    await il.page.getByText('Edit the milestones and documents', { exact: true }).first().click();
    const form = il.page.locator('#edit-project');
    // The reached access road is kept, not offered for editing.
    assert.match(await form.locator('[data-kept]').innerText(), /Access road/);
    const id = 'lodge-' + stamp();
    await form.getByRole('button', { name: 'Add a milestone' }).click();
    const ms = form.locator('#pe-ms > li').last();
    await ms.getByLabel('Milestone id').fill(id);
    await ms.getByLabel('Title').fill('Lodge opened');
    // Later than the lifts: the registry's card keeps showing them next.
    await ms.getByLabel('Due (UTC)').fill(new Date(Date.now() + 300 * 864e5).toISOString().slice(0, 16));
    await ms.getByRole('button', { name: 'Add a gate' }).click();
    const gate = ms.locator('[data-list="gates"] > li').last();
    // A label wrapping a select is named with the option it shows, so the
    // gate's selects are found by what they set.
    await gate.locator('select[data-key="kind"]').selectOption('posture');
    assert.ok(await gate.locator('select[data-key="zone"]').isHidden(), 'a posture gate takes no zone');
    await gate.locator('select[data-key="posture"]').selectOption('normal');
    const bytes = Buffer.from('Lodge plans, illustrative. ' + id + '\n');
    const sha = createHash('sha256').update(bytes).digest('hex');
    await form.locator('#pe-files').setInputFiles({ name: 'lodge-plans.pdf', mimeType: 'application/pdf', buffer: bytes });
    await send(il.page, form);

    const added = il.page.locator(`#m-${id}`);
    await added.waitFor();
    const said = await added.innerText();
    assert.match(said, /Lodge opened/);
    assert.match(said, /the cell's posture is Normal/);
    const doc = il.page.locator(`[data-document="${sha}"]`);
    assert.match(await doc.innerText(), /lodge-plans\.pdf/);

    const d = await api(il.page, '/projects/hermon-ski');
    const proj = d.project ?? d;
    const m = proj.milestones.find((x) => x.id === id);
    assert.deepEqual(m.gates, [{ kind: 'posture', posture: 'normal' }]);
    assert.ok(proj.milestones.find((x) => x.id === 'road').entry > 0, 'the access road stays reached');
    const lifts = proj.milestones.find((x) => x.id === 'lifts');
    assert.deepEqual(lifts.gates, [{ kind: 'zone_quiet', zone: 'quneitra-econ', days: 14 }], 'the lifts keep their gate');
    assert.deepEqual(proj.documents.find((x) => x.sha256 === sha), { sha256: sha, name: 'lodge-plans.pdf' });
  } finally {
    await il.context.close();
  }
});

test('an edit from a page loaded before the mediator\'s change is refused, and the form says whose change came between', async () => {
  const il = await signIn(browser, 'il.commercial');
  const us = await signIn(browser, 'us.commercial');
  try {
    await il.page.goto('/projects/hermon-ski?lang=en');
    await il.page.getByText('Edit the milestones and documents', { exact: true }).first().click();
    const before = (await api(il.page, '/projects/hermon-ski')).version;
    // The mediator signs its own edit meanwhile.
    await us.page.goto('/projects/hermon-ski?lang=en');
    await us.page.getByText('Edit the milestones and documents', { exact: true }).first().click();
    await send(us.page, us.page.locator('#edit-project'));
    const form = il.page.locator('#edit-project');
    await form.locator('#pe-ms > li').first().getByLabel('Title').fill('Lift installation, both slopes');
    await form.locator('button[type="submit"]').last().click();
    const error = form.locator('[data-error]');
    await error.filter({ hasText: 'changed after you loaded the page' }).waitFor();
    const said = await error.innerText();
    assert.match(said, new RegExp(`version ${before + 1}, by us\\.commercial`));
    assert.match(said, new RegExp(`made on version ${before}\\b`));
    const now = await api(il.page, '/projects/hermon-ski');
    assert.equal(now.version, before + 1);
    assert.ok(!now.milestones.some((m) => m.title === 'Lift installation, both slopes'), 'the stale edit was not recorded');
  } finally {
    await Promise.all([il.context.close(), us.context.close()]);
  }
});

test('axe finds no violation on the pages with the forms open', async () => {
  const found = {};
  const audit = async (page, url, open) => {
    await page.goto(url);
    for (const summary of open) await page.locator(summary).first().click();
    await page.addScriptTag({ path: axePath });
    const r = await page.evaluate(async () => {
      // eslint-disable-next-line no-undef
      const res = await axe.run(document, { resultTypes: ['violations'] });
      return { rules: res.passes.length + res.violations.length, violations: res.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })) };
    });
    assert.ok(r.rules > 20, `axe applied only ${r.rules} rules to ${url}`);
    if (r.violations.length) found[url] = r.violations;
  };
  const sessions = await Promise.all(['jo.commercial', 'il.commercial'].map((m) => signIn(browser, m, { bypassCSP: true })));
  try {
    const [jo, il] = sessions;
    for (const lang of ['en', 'ar', 'he']) {
      await audit(jo.page, `/pledges?lang=${lang}`, ['#pledge-jo-wind .pledge-update > summary']);
      await audit(il.page, `/projects/hermon-ski?lang=${lang}`, ['.project-edit > summary']);
    }
    // With a milestone and a gate added from their templates.
    await audit(il.page, '/projects?lang=en', []);
    await il.page.locator('#register-project').getByRole('button', { name: 'Add a milestone' }).click();
    await il.page.locator('#rg-ms > li').last().getByRole('button', { name: 'Add a gate' }).click();
    await il.page.addScriptTag({ path: axePath });
    const r = await il.page.evaluate(async () => (await axe.run(document, { resultTypes: ['violations'] })).violations.map((v) => v.id)); // eslint-disable-line no-undef
    if (r.length) found['/projects with rows added'] = r;
    assert.deepEqual(found, {});
  } finally {
    await Promise.all(sessions.map((s) => s.context.close()));
  }
});
