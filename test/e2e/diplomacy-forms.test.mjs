// The diplomatic desk's writes from the browser's own forms, each signed
// with the officer's device key: a statement drafted, given a second
// version, compared and signed by the three parties; an agreement amended
// and its diff by article; a round called with an item carried on; a
// dispute citing a message with an evidence file; and axe-core on the
// pages the forms changed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, axePath, api, submit, unique } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function english(member, opts = {}) {
  const s = await signIn(browser, member, { bypassCSP: false, ...opts });
  await s.page.goto('/statements?lang=en');
  return s;
}

// send submits a form whose script reloads or moves the page when done.
async function send(page, formSelector) {
  await Promise.all([page.waitForEvent('load'), page.locator(formSelector + ' button[type="submit"]').click()]);
}

const stamp = () => Date.now().toString(36) + Math.random().toString(36).slice(2, 5);

test('a statement drafted and redrafted in the browser, compared, and agreed by the three parties', async () => {
  const us = await english('us.diplomatic');
  const il = await english('il.diplomatic');
  const sy = await english('sy.diplomatic');
  try {
    const id = 'forms-' + stamp();
    const draft = us.page.locator('#draft-statement');
    await draft.getByLabel('Identifier').fill(id);
    await draft.getByLabel('Title').fill('Statement on the water points');
    await draft.getByLabel('Israel').check();
    await draft.getByLabel('Syria').check();
    await draft.locator('#sd-en textarea').first().fill('The water points stay open.');
    await draft.getByRole('button', { name: 'Add a paragraph in English' }).click();
    await draft.locator('#sd-en textarea').nth(1).fill('Each side guards its own.');
    await draft.getByRole('button', { name: 'Add a paragraph in English' }).click();
    await draft.locator('#sd-en textarea').nth(2).fill('A paragraph drafted by mistake.');
    // Removed again before signing: it is not part of the text.
    await draft.locator('#sd-en li').nth(2).getByRole('button', { name: 'Remove this paragraph' }).click();
    assert.equal(await draft.locator('#sd-en li').count(), 2);
    await draft.locator('#sd-ar textarea').first().fill('تبقى نقاط المياه مفتوحة.');
    await Promise.all([us.page.waitForURL(new RegExp(`/statements/${id}$`)), draft.getByRole('button', { name: 'Sign and record the draft' }).click()]);

    let d = await api(us.page, `/statements/${id}`);
    assert.deepEqual(d.versions[0].texts.en.map((p) => p.text), ['The water points stay open.', 'Each side guards its own.']);
    assert.deepEqual(Object.keys(d.versions[0].texts).sort(), ['ar', 'en']);
    assert.deepEqual(d.required, ['il', 'sy', 'us']);

    // Israel drafts version 2 from version 1's texts, prefilled.
    await il.page.goto(`/statements/${id}?lang=en`);
    const redraft = il.page.locator('#redraft-statement');
    assert.equal(await redraft.locator('#nv-en textarea').first().inputValue(), 'The water points stay open.');
    assert.equal(await redraft.locator('#nv-ar textarea').first().inputValue(), 'تبقى نقاط المياه مفتوحة.');
    assert.equal(await redraft.locator('#nv-ar textarea').first().getAttribute('dir'), 'rtl');
    await redraft.locator('#nv-en textarea').first().fill('The water points stay open day and night.');
    await redraft.locator('#nv-en li').nth(1).getByRole('button', { name: 'Remove this paragraph' }).click();
    await send(il.page, '#redraft-statement');

    d = await api(il.page, `/statements/${id}`);
    assert.equal(d.latest, 2);
    // The diff between the versions, paragraph by paragraph.
    await il.page.goto(`/statements/${id}?lang=en#diff`);
    await il.page.locator('#diff [data-change="changed"]', { hasText: 'day and night' }).waitFor();
    await il.page.locator('#diff [data-change="removed"]', { hasText: 'Each side guards its own.' }).waitFor();

    for (const side of [il, sy, us]) {
      await side.page.goto(`/statements/${id}?lang=en`);
      await side.page.locator('#sign-statement [data-hash-check]', { hasText: 'recomputed' }).waitFor();
      await send(side.page, '#sign-statement');
    }
    await us.page.locator('[data-agreed="true"]').waitFor();
    assert.equal(await us.page.locator('[data-version-status]').getAttribute('data-version-status'), 'agreed');
    d = await api(us.page, `/statements/${id}`);
    assert.equal(d.agreed, 2);
  } finally {
    await Promise.all([us.context.close(), il.context.close(), sy.context.close()]);
  }
});

test('the mediator records an amendment of an agreement, and the diff by article shows it', async () => {
  const us = await english('us.diplomatic');
  try {
    const before = await api(us.page, '/agreements/paris');
    await us.page.goto('/agreements/paris?lang=en');
    const form = us.page.locator('#amend-agreement');
    const first = form.locator('[data-list="agreement.articles"] > li').first();
    const number = await first.getByLabel('Number').inputValue();
    const text = first.locator('textarea[data-key="texts.en"]');
    const amended = (await text.inputValue()) + ' Amended ' + stamp() + '.';
    await text.fill(amended);
    await form.getByLabel('Amends').fill('Article ' + number + ' adds a sentence.');
    await send(us.page, '#amend-agreement');

    const after = await api(us.page, '/agreements/paris');
    assert.equal(after.latest, before.latest + 1);
    await us.page.locator(`#diff [data-article="${number}"][data-change="changed"]`, { hasText: 'Amended' }).waitFor();
    // The other articles are as they were.
    assert.ok(await us.page.locator('#diff [data-change="unchanged"]').count() >= 1);
  } finally {
    await us.context.close();
  }
});

test('a round called in the browser, with an agenda item carried to the next round', async () => {
  const us = await english('us.diplomatic');
  try {
    const id = 'round-forms-' + stamp();
    await us.page.goto('/rounds?lang=en');
    const create = us.page.locator('#create-round');
    await create.getByLabel('Identifier').fill(id);
    await create.getByLabel('Place').fill('Geneva');
    await create.getByLabel('Starts (UTC)').fill('2031-03-10T09:00');
    await create.getByLabel('Ends (UTC)').fill('2031-03-12T17:00');
    await create.getByLabel('Israel').fill('Delegate One\nDelegate Two');
    await Promise.all([us.page.waitForURL(new RegExp(`/rounds/${id}$`)), create.getByRole('button', { name: 'Sign and call the round' }).click()]);
    let r = await api(us.page, `/rounds/${id}`);
    assert.equal(r.place, 'Geneva');
    assert.equal(r.start, '2031-03-10T09:00:00Z');
    assert.deepEqual(r.delegations.il, ['Delegate One', 'Delegate Two']);

    const title = unique('Fishing rights');
    const agenda = us.page.locator('#agenda-round');
    await agenda.getByLabel('Identifier').fill('fishing');
    await agenda.getByLabel('Title').fill(title);
    await send(us.page, '#agenda-round');
    const item = us.page.locator('li[data-item="fishing"]');
    await item.locator('summary').click();
    await item.getByLabel('Carried').check();
    await item.getByLabel('What was decided').fill('Not settled: carried to the next round.');
    await send(us.page, `li[data-item="fishing"] form`);

    r = await api(us.page, `/rounds/${id}`);
    assert.equal(r.agenda.find((it) => it.id === 'fishing').outcome.outcome, 'carried');
    await us.page.locator('h3', { hasText: 'Carried to the next round' }).waitFor();
    const { waiting } = await api(us.page, '/rounds');
    assert.ok(waiting.some((it) => it.title === title && it.carried === id), 'the item waits for the next round');
  } finally {
    await us.context.close();
  }
});

test('a dispute filed in the browser cites a message and carries an evidence file', async () => {
  const sy = await english('sy.diplomatic');
  try {
    const { channels } = await api(sy.page, '/channels');
    const joint = channels.find((c) => c.kind === 'joint' && c.desk === 'diplomatic' && c.parties.includes('il'));
    assert.ok(joint, 'a joint channel Israel reads');
    const sent = await submit(sy.page, '/messages', 'message.send', { channel: joint.id, subject: unique('Convoy held'), body: 'The convoy is held at the crossing.', lang: 'en', precedence: 'ROUTINE' });
    const msg = sent.entry.index;

    await sy.page.goto('/disputes?lang=en');
    const file = sy.page.locator('#file-dispute');
    const title = unique('Convoy held at the crossing');
    await file.getByLabel('Title').fill(title);
    await file.locator('input[name="articles"]').first().check();
    await file.locator(`input[name="cites"][value="message:${msg}"]`).check();
    await file.getByLabel(/What happened/).fill('The convoy was held for six hours; see the message and the photograph.');
    await file.getByLabel(/Evidence files/).setInputFiles({ name: 'convoy.txt', mimeType: 'text/plain', buffer: Buffer.from('a photograph, described') });
    await Promise.all([sy.page.waitForURL(/\/disputes\/\d+$/), file.getByRole('button', { name: 'Sign and file' }).click()]);

    const id = new URL(sy.page.url()).pathname.split('/').pop();
    const d = await api(sy.page, `/disputes/${id}`);
    assert.deepEqual(d.cites.map((c) => [c.kind, c.id]), [['message', msg]]);
    assert.equal(d.attachments[0].name, 'convoy.txt');
    assert.match(d.attachments[0].sha256, /^[0-9a-f]{64}$/);
    await sy.page.locator(`a[href="/messages/${msg}"]`).waitFor();
    await sy.page.locator('ul.attachments a', { hasText: 'convoy.txt' }).waitFor();
  } finally {
    await sy.context.close();
  }
});

test('axe finds no violation on the pages with the new forms', async () => {
  const us = await signIn(browser, 'us.diplomatic', { bypassCSP: true });
  const il = await signIn(browser, 'il.diplomatic', { bypassCSP: true });
  try {
    const found = {};
    const audit = async (page, url) => {
      await page.goto(url);
      // The parts folded away are read too.
      await page.evaluate(() => { for (const d of document.querySelectorAll('details')) d.open = true; });
      await page.addScriptTag({ path: axePath });
      const r = await page.evaluate(async () => {
        // eslint-disable-next-line no-undef
        const res = await axe.run(document, { resultTypes: ['violations'] });
        return { rules: res.passes.length + res.violations.length, violations: res.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })) };
      });
      assert.ok(r.rules > 20, `axe applied only ${r.rules} rules to ${url}`);
      if (r.violations.length) found[url] = r.violations;
    };
    for (const url of ['/statements', '/statements/economic-zone', '/agreements', '/agreements/paris', '/rounds', '/rounds/round-5', '/commitments']) {
      for (const lang of ['en', 'ar', 'he']) await audit(us.page, `${url}?lang=${lang}`);
    }
    for (const url of ['/disputes', '/statements', '/statements/economic-zone']) {
      for (const lang of ['en', 'he']) await audit(il.page, `${url}?lang=${lang}`);
    }
    assert.deepEqual(found, {});
  } finally {
    await Promise.all([us.context.close(), il.context.close()]);
  }
});
