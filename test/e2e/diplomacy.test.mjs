// The diplomatic desk in a real browser: a dispute filed by one side,
// acknowledged and found on by the mediator, answered by the other side
// and accepted by both, each step signed in the browser; a statement
// signed by the three parties on its exact version and published; the
// timeline's overdue phase; the pages in Arabic and Hebrew; and axe-core
// on every page of the desk.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, axePath, api, submit, unique } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// english signs in and chooses English: the demo's sides default to their
// own languages.
async function english(member) {
  const s = await signIn(browser, member, { bypassCSP: false });
  await s.page.goto('/disputes?lang=en');
  return s;
}

async function send(page, formSelector) {
  await Promise.all([page.waitForEvent('load'), page.locator(formSelector + ' button[type="submit"]').click()]);
}

test('a dispute from filing to resolution, each step signed in the browser', async () => {
  const sy = await english('sy.diplomatic');
  const us = await english('us.diplomatic');
  const il = await english('il.diplomatic');
  try {
    const title = unique('Convoy stopped at the crossing');
    const file = sy.page.locator('#file-dispute');
    await file.getByLabel('Title').fill(title);
    await file.locator('input[name="articles"]').first().check();
    await file.getByLabel(/What happened/).fill('A humanitarian convoy was held for six hours at the crossing.');
    await Promise.all([sy.page.waitForURL(/\/disputes\/\d+$/), file.getByRole('button', { name: 'Sign and file' }).click()]);
    const path = new URL(sy.page.url()).pathname;
    await sy.page.locator('h1', { hasText: title }).waitFor();
    assert.equal(await sy.page.locator('[data-status]').first().getAttribute('data-status'), 'filed');

    await us.page.goto(path);
    await us.page.locator('#ack-dispute').getByLabel(/Note to the parties/).fill('Received; Israel is asked to respond.');
    await send(us.page, '#ack-dispute');
    await us.page.locator('.lifecycle .step-acknowledged.done').waitFor();

    await il.page.goto(path);
    await il.page.locator('#respond-dispute textarea').fill('The convoy carried no notification; it was released once checked.');
    await send(il.page, '#respond-dispute');

    await us.page.goto(path);
    await us.page.locator('#finding-dispute').getByLabel('Partly upheld').check();
    await us.page.locator('#finding-dispute textarea').fill('The hold was longer than the check needed.');
    await send(us.page, '#finding-dispute');

    for (const side of [sy, il]) {
      await side.page.goto(path);
      await side.page.locator('#accept-dispute').getByLabel('Accepts the finding').check();
      await send(side.page, '#accept-dispute');
    }
    await il.page.locator('.lifecycle .step-resolved').waitFor();
    assert.equal(await il.page.locator('.dstatus[data-status]').getAttribute('data-status'), 'resolved');
    // The register keeps it, resolved, for both sides.
    await sy.page.goto('/disputes?status=resolved');
    await sy.page.locator('tr[data-status="resolved"]', { hasText: title }).waitFor();
  } finally {
    await Promise.all([sy.context.close(), us.context.close(), il.context.close()]);
  }
});

test('a statement signed by the three parties on one version is agreed, then published', async () => {
  const us = await english('us.diplomatic');
  const il = await english('il.diplomatic');
  const sy = await english('sy.diplomatic');
  const jo = await signIn(browser, 'jo.duty');
  try {
    const id = 'e2e-' + Date.now().toString(36);
    await submit(us.page, '/statements', 'statement.draft', {
      statement: { id, title: 'Statement on the crossings', kind: 'joint_statement', required: ['il', 'sy'] },
      texts: { en: [{ text: 'The crossings open at 0600 local time.' }], ar: [{ text: 'تفتح المعابر في الساعة السادسة صباحا بالتوقيت المحلي.' }] },
    });
    for (const side of [il, sy, us]) {
      await side.page.goto(`/statements/${id}`);
      const form = side.page.locator('#sign-statement');
      // The browser signs only once it has recomputed the hashes.
      await form.locator('[data-hash-check]', { hasText: 'recomputed' }).waitFor();
      await send(side.page, '#sign-statement');
    }
    await us.page.locator('[data-agreed="true"]').waitFor();
    assert.equal(await us.page.locator('[data-version-status]').getAttribute('data-version-status'), 'agreed');
    await send(us.page, '#publish-statement');
    assert.equal(await us.page.locator('[data-version-status]').getAttribute('data-version-status'), 'published');

    // The observer reads the published text and who signed it.
    await jo.page.goto(`/statements/${id}?lang=en`);
    await jo.page.locator('[data-para]', { hasText: 'The crossings open at 0600' }).waitFor();
    assert.equal(await jo.page.locator('tr[data-signed="true"]').count(), 3);
    const d = await api(jo.page, `/statements/${id}`);
    assert.equal(Object.keys(d.published.signatures).length, 3);
  } finally {
    await Promise.all([us.context.close(), il.context.close(), sy.context.close(), jo.context.close()]);
  }
});

test('the timeline shows the overdue phase, unmissably and in words', async () => {
  const il = await english('il.diplomatic');
  try {
    await il.page.goto('/commitments');
    const row = il.page.locator('table.timeline tr[data-commitment="withdrawal-timetable"][data-overdue]');
    await row.first().waitFor();
    assert.match(await row.first().innerText(), /OVERDUE/);
    assert.ok(await il.page.locator('.overdue-note').isVisible());
    assert.ok(await il.page.locator('svg .mark.overdue').count() >= 1);
    assert.ok(await il.page.locator('svg .today').count() === 1);
  } finally {
    await il.context.close();
  }
});

const pages = ['/disputes', '/commitments', '/commitments/withdrawal-timetable', '/agreements', '/agreements/paris', '/rounds',
  '/rounds/round-5', '/statements', '/statements/paris-5', '/statements/economic-zone'];

test('the desk\'s pages in Arabic and Hebrew run right to left', async () => {
  const il = await english('il.diplomatic');
  try {
    for (const lang of ['ar', 'he']) {
      for (const url of ['/disputes', '/commitments', '/statements/economic-zone', '/rounds/round-5']) {
        await il.page.goto(`${url}?lang=${lang}`);
        assert.equal(await il.page.locator('html').getAttribute('dir'), 'rtl', `${url}?lang=${lang}`);
        assert.equal(await il.page.locator('html').getAttribute('lang'), lang);
      }
      // The time axis reads as a calendar does, left to right.
      await il.page.goto(`/commitments?lang=${lang}`);
      assert.equal(await il.page.locator('.timeline-chart').getAttribute('dir'), 'ltr');
    }
  } finally {
    await il.context.close();
  }
});

test('axe finds no violation on the desk\'s pages', async () => {
  const il = await signIn(browser, 'il.diplomatic', { bypassCSP: true });
  const jo = await signIn(browser, 'jo.duty', { bypassCSP: true });
  try {
    const { disputes } = await api(il.page, '/disputes');
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
    for (const url of [...pages, `/disputes/${disputes[0].id}`]) {
      for (const lang of ['en', 'ar']) await audit(il.page, `${url}?lang=${lang}`);
    }
    for (const url of ['/disputes?lang=he', '/statements/paris-5?lang=en']) await audit(jo.page, url);
    assert.deepEqual(found, {});
  } finally {
    await Promise.all([il.context.close(), jo.context.close()]);
  }
});
