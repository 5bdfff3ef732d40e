// An activity's, an incident's or a zone's page: its small map, and the
// desk's answers to it, each a command signed with this browser's device
// key. The page is the server's: after a write it is read again.
import { t, say, signAndSubmit, debounce } from '/static/js/page.js';
import { newMap, shapeLayer, zoneLayers, boundsOf, conflictsBox, notifiedResult, formBusy } from '/static/js/deskkit.js';

// ---- writes ----

const reread = () => location.reload();

const activity = document.getElementById('activity');
const notification = Number(activity?.dataset.activity);
const version = Number(activity?.dataset.version);

function onSubmit(id, work) {
  const form = document.getElementById(id);
  if (!form) return;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    formBusy(form, (status) => work(form, status));
  });
}

const value = (form, name) => form.querySelector(`[name="${name}"]:checked`)?.value ?? form.elements.namedItem(name)?.value ?? '';

onSubmit('answer', async (form) => {
  const answer = value(form, 'answer');
  const reason = form.reason.value.trim();
  if (answer === 'objection' && !reason) {
    form.reason.focus();
    throw new Error(t('desk.error.reason'));
  }
  const fields = { notification, version, answer };
  if (answer === 'objection') fields.reason = reason;
  await signAndSubmit(`/activities/${notification}/answer`, 'activity.answer', fields);
  reread();
});

onSubmit('clear', async (form) => {
  const decision = value(form, 'decision');
  const note = form.note.value.trim();
  if (decision === 'objection' && !note) {
    form.note.focus();
    throw new Error(t('desk.error.reason'));
  }
  const fields = { notification, version, decision };
  if (note) fields.note = note;
  await signAndSubmit(`/activities/${notification}/clear`, 'conflict.clear', fields);
  reread();
});

onSubmit('end', async (form) => {
  const fields = { notification, state: value(form, 'state') };
  const note = form.note.value.trim();
  if (note) fields.note = note;
  await signAndSubmit(`/activities/${notification}/end`, 'activity.end', fields);
  reread();
});

// An amendment is checked again like a new notification: it too must name
// every notification it overlaps that its notifier may read.
const amend = document.getElementById('amend');
let seenOf = null;
amend?.addEventListener('input', (ev) => {
  if (seenOf && !ev.target.closest('[data-conflicts]')) {
    seenOf = null;
    amend.querySelector('[data-conflicts]').hidden = true;
  }
});
onSubmit('amend', async (form, status) => {
  let volumes;
  try {
    volumes = JSON.parse(form.volumes.value);
  } catch {
    form.volumes.focus();
    throw new Error(t('map.draw.bad_geojson'));
  }
  if (!Array.isArray(volumes)) volumes = [volumes];
  const title = form.title.value.trim();
  if (!title) {
    form.title.focus();
    throw new Error(t('map.error.title'));
  }
  const fields = { notification, version, title, volumes };
  const desc = form.description.value.trim();
  if (desc) fields.description = desc;
  if (seenOf) fields.seen = seenOf();
  const box = form.querySelector('[data-conflicts]');
  let res;
  try {
    res = await signAndSubmit(`/activities/${notification}/amend`, 'activity.amend', fields);
  } catch (e) {
    if (e.status === 409 && Array.isArray(e.problem?.conflicts)) {
      seenOf = conflictsBox(box, e.problem.conflicts);
      status.textContent = '';
      throw new Error(t('map.conflicts.say', { n: e.problem.conflicts.length }));
    }
    throw e;
  }
  box.hidden = true;
  say(status, t('sent'));
  notifiedResult(form.querySelector('[data-result]'), res.activity);
  const again = document.createElement('p');
  const a = document.createElement('a');
  a.href = location.pathname;
  a.textContent = t('desk.reread');
  again.append(a);
  form.querySelector('[data-result]').append(again);
});

const incident = Number(document.getElementById('incident')?.dataset.incident);

onSubmit('ack', async (form) => {
  const readback = form.readback.value.trim();
  if (form.readback.hasAttribute('data-required') && !readback) {
    form.readback.focus();
    throw new Error(t('error.readback_required'));
  }
  const fields = { incident };
  if (readback) fields.readback = readback;
  await signAndSubmit(`/incidents/${incident}/ack`, 'incident.ack', fields);
  reread();
});

onSubmit('verify-request', async (form) => {
  const fields = { incident };
  const note = form.note.value.trim();
  if (note) fields.note = note;
  await signAndSubmit(`/incidents/${incident}/verification`, 'verification.request', fields);
  reread();
});

onSubmit('finding', async (form) => {
  const text = form.text.value.trim();
  if (!text) {
    form.text.focus();
    throw new Error(t('desk.error.finding'));
  }
  await signAndSubmit(`/incidents/${incident}/finding`, 'verification.finding', { incident, finding: value(form, 'finding'), text });
  reread();
});

// A zone is signed by its hash: this browser checks that the content the
// page shows hashes to it before it signs, so that what the officer read
// is what the signature agrees to.
async function sha256Hex(text) {
  const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

for (const form of document.querySelectorAll('form[data-sign]')) {
  const art = form.closest('article[data-zone]');
  const content = art.querySelector('[data-content]').textContent;
  const payload = JSON.parse(form.querySelector('[data-sign-payload]').textContent);
  const check = form.querySelector('[data-hash-check]');
  const matches = sha256Hex(content).then((h) => h === payload.hash);
  matches.then((ok) => {
    check.textContent = ok ? t('desk.zone.hash_ok') : t('desk.zone.hash_bad');
    check.classList.toggle('bad', !ok);
    if (!ok) form.querySelector('button[type="submit"]').disabled = true;
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    formBusy(form, async () => {
      if (!await matches) throw new Error(t('desk.zone.hash_bad'));
      await signAndSubmit(`/zones/${encodeURIComponent(payload.zone)}/sign`, 'zone.sign', payload);
      reread();
    });
  });
}

// ---- live ----

// What changes under the page is announced with a link to read it again,
// not swapped in under an officer's half-written answer.
const changed = debounce(() => {
  let note = document.getElementById('desk-changed');
  if (!note) {
    note = document.createElement('p');
    note.id = 'desk-changed';
    note.className = 'banner';
    note.setAttribute('role', 'status');
    document.querySelector('.desk')?.prepend(note);
  }
  note.replaceChildren();
  const a = document.createElement('a');
  a.href = location.pathname;
  a.textContent = t('desk.changed');
  note.append(a);
}, 300);

document.addEventListener('liaison:entry', (ev) => {
  const e = ev.detail || {};
  const p = e.payload || {};
  const about = p.notification ?? p.incident ?? p.zone;
  const mine = [notification, incident].includes(Number(about)) || (p.zone && document.querySelector(`article[data-zone="${CSS.escape(String(p.zone))}"]`));
  if (/^(activity|conflict|incident|verification|zone)\./.test(e.kind || '') && mine) changed();
});

// ---- small maps ----

// The zones, faint, around what a small map shows: an officer reads a
// place by the lines and sites near it.
let zones;
function zonesNear() {
  zones ??= fetch('/map/data', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    .then((r) => (r.ok ? r.json() : { zones: [] })).then((d) => d.zones || []).catch(() => []);
  return zones;
}

// Drawn last, each on its own: a map that fails must not take the page's
// forms with it.
async function smallMap(el) {
  const map = await newMap(el, { scrollWheelZoom: false });
  {
    for (const z of await zonesNear()) {
      if (z.id === el.dataset.zoneId) continue; // the zone itself, drawn below
      for (const l of zoneLayers(z)) {
        l.setStyle({ opacity: 0.45, fillOpacity: 0.04 });
        l.bindTooltip(z.name, { direction: 'top' });
        l.addTo(map);
      }
    }
  }
  const layers = [];
  const add = (l) => { if (l) { l.addTo(map); layers.push(l); } };
  if (el.dataset.volumes) {
    for (const v of JSON.parse(el.dataset.volumes)) add(shapeLayer(v, { color: '#c2185b', fillColor: '#c2185b', fillOpacity: 0.2, weight: 2.5 }));
  }
  if (el.dataset.location) {
    const loc = JSON.parse(el.dataset.location);
    add(shapeLayer({ ...loc, radius_m: loc.radius_m || 150 }, { color: '#a1000e', fillColor: '#a1000e', fillOpacity: 0.25, weight: 2.5 }));
  }
  if (el.dataset.zoneShape) {
    const z = { ...JSON.parse(el.dataset.zoneShape), kind: el.dataset.zoneKind, draft: el.dataset.draft === 'true' };
    for (const l of zoneLayers(z)) add(l);
  }
  const b = boundsOf(layers);
  // Wide enough to show where it is, not only what it is.
  if (b) map.fitBounds(b.pad(0.8), { maxZoom: 11, animate: false });
  el.dataset.shapes = String(layers.length);
}

for (const el of document.querySelectorAll('.small-map')) {
  smallMap(el).catch((e) => console.error('map:', e));
}
