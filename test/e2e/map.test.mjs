// The de-escalation desk in a real browser: the map offline over its
// bundled base map, the time slider, an activity drawn and notified
// through the 409 that names what it overlaps, Syria's objection, an
// incident placed on the map and acknowledged with a readback, the board
// on the watch screen, and the pages in Arabic and Hebrew on a desktop and
// a phone (screenshots in test/e2e/artifacts/).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, signIn, artifacts, base, api, unique } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const desktop = { viewport: { width: 1280, height: 900 } };
const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

// Every request the page makes, to show that the map needs nothing from
// outside the cell's server.
function recordRequests(page) {
  const urls = [];
  page.on('request', (r) => urls.push(r.url()));
  return urls;
}

function outside(urls) {
  return urls.filter((u) => !u.startsWith(base + '/') && !u.startsWith('data:') && !u.startsWith('blob:'));
}

async function openMap(page, url = '/map') {
  await page.goto(url);
  await page.locator('#map[data-zones]').waitFor({ timeout: 20000 });
  await page.locator('#map[data-basemap-loaded]').waitFor();
}

// utcLocal renders an instant as a datetime-local value in UTC, as the
// forms read it.
const utcLocal = (ms) => new Date(ms).toISOString().slice(0, 16);

// slideTo moves the time slider, as an officer's arrow keys would, to the
// quarter hour at or before ms.
async function slideTo(page, ms) {
  const want = new Date(ms - (ms % (15 * 60e3))).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  const found = await page.evaluate((text) => {
    const s = document.getElementById('map-time');
    for (let v = 0; v <= Number(s.max); v++) {
      s.value = String(v);
      s.dispatchEvent(new Event('input', { bubbles: true }));
      if (document.querySelector('#map-time-out .time-zone[data-zone="UTC"] time').textContent === text) return true;
    }
    return false;
  }, want);
  assert.ok(found, `the slider has no position at ${want}`);
}

async function submitAs(page, path, kind, fields) {
  return page.evaluate(async ([p, k, f]) => {
    const { signAndSubmit } = await import('/static/js/page.js');
    return signAndSubmit(p, k, f);
  }, [path, kind, fields]);
}

test('the map loads offline with the base map and the demo\'s zones', async () => {
  const il = await signIn(browser, 'il.military', desktop);
  try {
    const urls = recordRequests(il.page);
    await openMap(il.page);
    assert.ok(Number(await il.page.locator('#map').getAttribute('data-basemap-loaded')) >= 4, 'the base map did not load');
    // The demo's fourteen zones, the draft among them dashed and labelled.
    assert.equal(await il.page.locator('#map').getAttribute('data-zones'), '14');
    assert.ok(await il.page.locator('#map path.zone').count() >= 14);
    assert.ok(await il.page.locator('#map path.zone-draft').count() >= 1);
    await il.page.locator('.draft-label', { hasText: 'Buq' }).waitFor();
    await assert.doesNotReject(il.page.getByRole('note').filter({ hasText: 'Illustrative map.' }).waitFor());
    // A zone's popup gives its rules per activity type and its buffer.
    await il.page.locator('#map path.zone-protected').first().click({ force: true });
    const popup = il.page.locator('.leaflet-popup-content');
    await popup.waitFor();
    assert.match(await popup.innerText(), /Humanitarian convoy\s+Allowed/);
    assert.match(await popup.innerText(), /Buffer: \d+ m around the site/);
    await il.page.screenshot({ path: path.join(artifacts, 'map-en.png') });
    // The incident of the demo (Syria's report addressed to Israel) is a marker.
    assert.ok(await il.page.locator('.incident-icon').count() >= 1);
    assert.deepEqual(outside(urls), [], 'requests left the cell\'s server');
    assert.ok(urls.some((u) => u.endsWith('/static/vendor/basemap/basemap.geojson')));
    assert.ok(urls.some((u) => u.endsWith('/static/vendor/leaflet/leaflet.js')));
  } finally {
    await il.context.close();
  }
});

test('the time slider shows what is active at the chosen time', async () => {
  const il = await signIn(browser, 'il.military', desktop);
  try {
    await openMap(il.page);
    const data = await (await il.page.request.get('/map/data')).json();
    const convoy = data.activities.find((a) => a.title.startsWith('Supply convoy'));
    assert.ok(convoy, 'Israel reads Syria\'s convoy');
    const start = Date.parse(convoy.volumes[0].start);
    // Now, the demo's activities have yet to start.
    assert.equal(await il.page.locator('#map-shown li[data-activity="' + convoy.id + '"]').count(), 0);
    // Move the slider to half an hour into the convoy's window.
    await slideTo(il.page, start + 30 * 60e3);
    await il.page.locator(`#map-shown li[data-activity="${convoy.id}"]`).waitFor();
    assert.ok(await il.page.locator(`#map path.activity-${convoy.id}`).count() === 1, 'the convoy is not drawn');
    const out = await il.page.locator('#map-time-out').innerText();
    assert.match(out, /UTC/);
    assert.match(out, /Israel .*UTC\+[23]/);
    assert.match(out, /Syria .*UTC\+3/);
    await il.page.screenshot({ path: path.join(artifacts, 'map-slider-en.png') });
    await il.page.getByRole('button', { name: 'Now' }).click();
    await il.page.locator(`#map-shown li[data-activity="${convoy.id}"]`).waitFor({ state: 'detached' });
  } finally {
    await il.context.close();
  }
});

test('an officer draws an activity, names the conflict it overlaps, and Syria objects', async () => {
  const il = await signIn(browser, 'il.military', desktop);
  const sy = await signIn(browser, 'sy.military', desktop);
  try {
    // A FLASH from Syria waits on Israel's banner, stuck to the top of the
    // window while the officer draws: it must not cover the map.
    await sy.page.goto('/record');
    const flash = unique('Convoy departs early');
    await submitAs(sy.page, '/messages', 'message.send', { channel: 'joint-military', subject: flash, body: 'Our convoy departs 30 minutes early.', lang: 'en', precedence: 'FLASH' });
    await openMap(il.page);
    await il.page.locator('#urgent').getByText(flash).waitFor({ timeout: 20000 });
    const data = await (await il.page.request.get('/map/data')).json();
    const convoy = data.activities.find((a) => a.title.startsWith('Supply convoy'));
    const start = Date.parse(convoy.volumes[0].start);
    // Show the convoy, to draw around it.
    await slideTo(il.page, start + 30 * 60e3);
    await il.page.locator('#notify-box summary').click();
    const form = il.page.locator('#notify');
    const title = unique('UAV over the Quneitra road');
    await form.getByLabel('Activity type').selectOption('uav_flight');
    await form.getByLabel('Title').fill(title);
    await form.getByLabel('Start (UTC)').fill(utcLocal(start));
    await form.getByLabel('End (UTC)').fill(utcLocal(start + 2 * 3600e3));
    // The officer has scrolled down the form; the map stays in view.
    await il.page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    // Draw a box around the convoy's route by clicking the map.
    await form.getByRole('button', { name: 'Draw', exact: true }).click();
    const map = il.page.locator('#map');
    const mb = await map.boundingBox();
    const rb = await il.page.evaluate((id) => {
      // The convoy's route, wherever the map puts it.
      const r = document.querySelector(`#map path.activity-${id}`).getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height };
    }, convoy.id);
    assert.ok(rb.width > 0 && rb.height > 0, 'the convoy is not drawn on the map');
    const [bannerBottom, mapTop] = await il.page.evaluate(() => [document.getElementById('urgent').getBoundingClientRect().bottom, document.getElementById('map').getBoundingClientRect().top]);
    assert.ok(bannerBottom <= mapTop, `the banner (to ${bannerBottom} px) covers the top of the map (from ${mapTop} px)`);
    const pad = 12;
    const corners = [[rb.x - pad, rb.y - pad], [rb.x + rb.width + pad, rb.y - pad], [rb.x + rb.width + pad, rb.y + rb.height + pad], [rb.x - pad, rb.y + rb.height + pad]];
    for (const [x, y] of corners) {
      assert.ok(x > mb.x && x < mb.x + mb.width && y > mb.y && y < mb.y + mb.height, 'a corner falls off the map');
      // Nothing stuck over the map (the urgent banner) takes the click.
      const over = await il.page.evaluate(([px, py]) => {
        const e = document.elementFromPoint(px, py);
        return e?.closest('#map') ? '' : (e?.id || e?.className || e?.tagName || 'nothing');
      }, [x, y]);
      assert.equal(over, '', `the corner at ${x},${y} is covered`);
      await il.page.mouse.click(x, y);
    }
    await form.getByRole('button', { name: 'Finish' }).click();
    const geo = JSON.parse(await form.getByLabel('The volume as GeoJSON').inputValue());
    assert.equal(geo.type, 'Polygon');
    assert.equal(geo.coordinates[0].length, 5);
    await form.getByRole('button', { name: 'Sign and notify' }).click();
    // The server refuses it: it overlaps Syria's convoy, which Israel
    // reads and must name.
    const conflict = form.locator(`[data-conflicts] li[data-conflict="${convoy.id}"]`);
    await conflict.waitFor({ timeout: 20000 });
    // The error is said in the next frame (a fresh node, for the screen
    // reader to announce): wait for it, not only for the list.
    await form.locator('[data-error]', { hasText: /overlaps 1 notification/ }).waitFor();
    await il.page.screenshot({ path: path.join(artifacts, 'notify-409-en.png') });
    // Submitting again without ticking it is refused here, before signing.
    await form.getByRole('button', { name: 'Sign and notify' }).click();
    await il.page.locator('#notify [data-error]', { hasText: 'Tick each notification' }).waitFor();
    await form.getByLabel(`I have read notification ${convoy.id}, version 1`).check();
    await form.getByRole('button', { name: 'Sign and notify' }).click();
    const result = form.locator('[data-result]');
    await result.locator('a[href^="/activities/"]').waitFor({ timeout: 20000 });
    // The zone rule it breaks, plainly: a UAV over the Quneitra economic zone.
    const text = await result.innerText();
    assert.match(text, /Notified:/);
    assert.match(text, /Quneitra demilitarized economic zone · prohibited there/);
    assert.doesNotMatch(text, /held for the mediator/);
    await il.page.screenshot({ path: path.join(artifacts, 'notified-en.png') });
    const href = await result.locator('a[href^="/activities/"]').getAttribute('href');
    const id = Number(href.split('/').pop());
    const n = await api(il.page, `/activities/${id}`);
    assert.deepEqual(n.versions[0].seen, [{ notification: convoy.id, version: 1 }]);
    assert.deepEqual(n.addressed, ['sy']);

    // Syria objects, with its reason.
    await sy.page.goto(href);
    const answer = sy.page.locator('#answer');
    await answer.getByLabel('Objection', { exact: true }).check();
    await answer.getByLabel(/^Reason/).fill('Our convoy is on that road then: fly after 1400Z.');
    await answer.getByRole('button', { name: 'Sign and answer' }).click();
    await sy.page.locator('[data-answer="objection"]').waitFor({ timeout: 20000 });
    assert.equal(await sy.page.locator('#answer').count(), 0, 'Syria is asked again after answering');
    // Israel reads it on its page.
    await il.page.goto(href);
    assert.match(await il.page.locator('[data-answer="objection"]').innerText(), /Objection.*sy\.military \(Syria\)[\s\S]*fly after 1400Z/);
    await il.page.locator('.small-map[data-shapes="1"]').waitFor(); // the activity's one volume, on its small map
    await il.page.screenshot({ path: path.join(artifacts, 'activity-en.png'), fullPage: true });
  } finally {
    await il.context.close();
    await sy.context.close();
  }
});

test('an incident reported by clicking the map, acknowledged with a readback', async () => {
  const sy = await signIn(browser, 'sy.military', desktop);
  const il = await signIn(browser, 'il.military', desktop);
  try {
    await openMap(sy.page);
    await sy.page.locator('#report-box summary').click();
    const form = sy.page.locator('#report');
    const title = unique('Small-arms fire near the crossing');
    await form.getByLabel('Category').selectOption('small_arms');
    await form.getByLabel('Precedence').selectOption('IMMEDIATE');
    await form.getByLabel('Title').fill(title);
    await form.getByLabel('Description').fill('Bursts of automatic fire heard for ten minutes; no one hurt.');
    await form.getByRole('button', { name: 'Pick on the map' }).click();
    await sy.page.evaluate(() => document.getElementById('map').scrollIntoView());
    const mb = await sy.page.locator('#map').boundingBox();
    await sy.page.mouse.click(mb.x + mb.width * 0.45, mb.y + mb.height * 0.5);
    const lat = Number(await form.getByLabel('Latitude').inputValue());
    const lng = Number(await form.getByLabel('Longitude').inputValue());
    assert.ok(lat > 32.4 && lat < 33.7 && lng > 35.3 && lng < 36.9, `picked ${lat}, ${lng}: outside the region`);
    await form.getByRole('button', { name: 'Sign and report' }).click();
    const link = form.locator('[data-result] a[href^="/incidents/"]');
    await link.waitFor({ timeout: 20000 });
    const href = await link.getAttribute('href');

    await il.page.goto(href);
    await il.page.getByText('Awaiting acknowledgement from Israel').waitFor();
    const ack = il.page.locator('#ack');
    // An IMMEDIATE incident is acknowledged with a readback.
    await ack.getByRole('button', { name: 'Send acknowledgement' }).click();
    await il.page.locator('#ack [data-error]', { hasText: 'readback' }).waitFor();
    await ack.getByLabel(/^Readback/).fill('Automatic fire for ten minutes at the crossing, no casualties.');
    await ack.getByRole('button', { name: 'Send acknowledgement' }).click();
    await il.page.getByText('Acknowledged by Israel').waitFor({ timeout: 20000 });
    assert.match(await il.page.locator('.readback').innerText(), /Automatic fire for ten minutes/);
    await sy.page.goto(href);
    await sy.page.getByText('Acknowledged by Israel').waitFor();
    await sy.page.locator('.small-map[data-shapes="1"]').waitFor(); // the place, on the incident's small map
    await sy.page.screenshot({ path: path.join(artifacts, 'incident-en.png'), fullPage: true });
  } finally {
    await sy.context.close();
    await il.context.close();
  }
});

test('the desk\'s board on the watch screen, live', async () => {
  const us = await signIn(browser, 'us.duty', desktop);
  const sy = await signIn(browser, 'sy.duty', desktop);
  const il = await signIn(browser, 'il.military', desktop);
  try {
    const board = us.page.locator('[data-desk-fragment="board"]');
    await board.waitFor();
    assert.match(await board.locator('[data-board="posture"]').innerText(), /Military operations suspended\s+since\s+\u2066?\d{4}-\d{2}-\d{2}/);
    // The mediator sees which notifications have a conflict held for it.
    assert.match(await board.locator('[data-board="held"]').innerText(), /Company exercise north-east of Hadar/);
    assert.match(await board.locator('[data-board="verifications"]').innerText(), /Shelling on the outskirts of Hadar/);
    assert.ok(await board.locator('[data-board="incidents"] table').count() === 1);
    await us.page.screenshot({ path: path.join(artifacts, 'board-en.png'), fullPage: true });
    // Syria's board hears a new notification addressed to it, and owes it an answer.
    const syBoard = sy.page.locator('[data-desk-fragment="board"]');
    await syBoard.waitFor();
    await sy.page.waitForTimeout(1000); // the stream is open
    const title = unique('Helicopter medevac flight');
    const at = Date.now() + 3 * 3600e3;
    await submitAs(il.page, '/activities', 'activity.notify', { type: 'air_patrol', title, addressed: ['sy'], precedence: 'PRIORITY',
      volumes: [{ geometry: { type: 'Point', coordinates: [35.62, 32.62] }, radius_m: 500, start: new Date(at).toISOString(), end: new Date(at + 3600e3).toISOString() }] });
    await syBoard.locator('[data-board="owed"]', { hasText: title }).waitFor({ timeout: 20000 });
    assert.match(await syBoard.locator('[data-board="owed"] li', { hasText: title }).innerText(), /left.*answer to a notification.*owed by Syria/s);
    await syBoard.locator('[data-board="active"]', { hasText: title }).waitFor();
  } finally {
    for (const s of [us, sy, il]) await s.context.close();
  }
});

// Syria's exercise overlaps a flight Syria may not read: the mediator,
// who alone sees both, clears it; Syria is told no more than that.
test('the mediator clears a conflict held for it', async () => {
  const us = await signIn(browser, 'us.duty', desktop);
  const sy = await signIn(browser, 'sy.military', desktop);
  try {
    const { activities } = await api(us.page, '/activities');
    const ex = activities.find((a) => a.title.startsWith('Company exercise'));
    await sy.page.goto(`/activities/${ex.id}`);
    await sy.page.locator('.held-note').waitFor();
    await us.page.goto(`/activities/${ex.id}`);
    const form = us.page.locator('#clear');
    await form.getByLabel('Cleared by the mediator').check();
    await form.getByRole('button', { name: 'Sign the decision' }).click();
    await us.page.locator('tr[data-conflict]', { hasText: 'Cleared by the mediator' }).waitFor({ timeout: 20000 });
    assert.equal(await us.page.locator('#clear').count(), 0);
    await sy.page.goto(`/activities/${ex.id}`);
    assert.equal(await sy.page.locator('.held-note').count(), 0, 'Syria is still told the conflict is held');
    assert.doesNotMatch(await sy.page.locator('main').innerText(), /Reconnaissance/);
  } finally {
    await us.context.close();
    await sy.context.close();
  }
});

// The pages an officer works from, in Arabic and Hebrew on a desktop and a
// phone: the layout mirrors, the map does not, and nothing overflows a
// 390 px screen.
test('Arabic and Hebrew, desktop and phone', async () => {
  const us = await signIn(browser, 'us.duty', desktop);
  let ids;
  try {
    const { activities } = await api(us.page, '/activities');
    const { incidents } = await api(us.page, '/incidents');
    ids = { activity: activities.find((a) => a.title.startsWith('Company exercise')).id, incident: incidents.find((i) => i.title.includes('Hadar')).id };
  } finally {
    await us.context.close();
  }
  for (const [device, opts] of [['desktop', desktop], ['phone', phone]]) {
    for (const lang of ['ar', 'he', 'en']) {
      const s = await signIn(browser, lang === 'he' ? 'il.military' : 'sy.military', opts);
      try {
        for (const [name, url] of [['map', '/map'], ['activity', `/activities/${ids.activity}`], ['incident', `/incidents/${ids.incident}`],
          ['zone', '/zones/buqata'], ['activities', '/activities'], ['dashboard', '/dashboard']]) {
          if (lang === 'en' && device === 'desktop') continue; // the English desktop ones are above
          await s.page.goto(`${url}${url.includes('?') ? '&' : '?'}lang=${lang}`);
          if (name === 'map') {
            await s.page.locator('#map[data-zones]').waitFor({ timeout: 20000 });
            // The forms open, as an officer fills them in.
            await s.page.evaluate(() => { for (const d of document.querySelectorAll('details')) d.open = true; });
          }
          if (['activity', 'incident', 'zone'].includes(name)) await s.page.locator('.small-map[data-shapes]').first().waitFor({ timeout: 20000 });
          const dirs = await s.page.evaluate(() => ({
            page: document.documentElement.dir,
            map: [...document.querySelectorAll('.map, .small-map')].map((m) => getComputedStyle(m).direction),
            width: document.documentElement.scrollWidth,
            inner: window.innerWidth,
          }));
          assert.equal(dirs.page, lang === 'en' ? 'ltr' : 'rtl', `${url} in ${lang}`);
          assert.ok(dirs.map.every((d) => d === 'ltr'), `${url} in ${lang}: a map is drawn right to left`);
          assert.ok(dirs.width <= dirs.inner, `${url} in ${lang} on a ${device}: ${dirs.width} px wide in a ${dirs.inner} px window`);
          await s.page.screenshot({ path: path.join(artifacts, `desk-${name}-${lang}-${device}.png`), fullPage: name !== 'map' || device === 'phone' });
        }
      } finally {
        await s.context.close();
      }
    }
  }
});
