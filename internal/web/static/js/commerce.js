// The commercial desk's pages: each form signs its command with this
// browser's device key (the kind, the API path and the fields the page
// fixes are in its data- attributes; the form adds its inputs, read as
// forms.js reads every desk's), the registry's
// projects are marked on the de-escalation desk's map of the zones, and
// the live parts are read again when the stream says the desk changed.
import { t, tIso, say, signAndSubmit, fetchFragment, parseHTML, debounce, problemDetail } from '/static/js/page.js';
import { newMap, zoneLayers, boundsOf, formBusy } from '/static/js/deskkit.js';
import { fieldsOf, upload, getPath, editLists } from '/static/js/forms.js';

// One listener for every form, those the live parts bring in included.
document.addEventListener('submit', (ev) => {
  const form = ev.target.closest?.('form.com-form');
  if (!form) return;
  ev.preventDefault();
  formBusy(form, async (status) => {
    const fields = fieldsOf(form);
    await upload(form, fields, status);
    say(status, t('sending'));
    let res;
    try {
      res = await signAndSubmit(form.dataset.path, form.dataset.kind, fields, form.dataset.method || 'POST');
    } catch (e) {
      throw staleAsSaid(e);
    }
    const then = form.dataset.then;
    // A write queued at a party's mirror has no page yet: this one, again,
    // lists it among what waits.
    if (then && !res?.queued) {
      location.assign(then.replace('{id}', encodeURIComponent(String(getPath(fields, form.dataset.thenField)))));
    } else {
      location.reload();
    }
  });
});

editLists();

// staleAsSaid turns the desk's refusal of an edit made on an older version
// of a project or a pledge than the one that stands (409, with what stands
// in its stale member, which names a pledge or a project) into the
// officer's words: whose change came between, and to read it before making
// the edit again.
function staleAsSaid(e) {
  const s = e.problem?.stale;
  if (e.status !== 409 || !s) return e;
  const at = new Date(s.at);
  const args = { version: s.version, read: s.read_version, by: s.by,
    at: Number.isNaN(at.getTime()) ? s.at : at.toISOString().slice(0, 19).replace('T', ' ') + ' UTC' };
  const ltr = ['version', 'read', 'by', 'at'];
  const out = new Error(e.message);
  out.nodes = s.pledge ? tIso('com.stale_pledge', args, ltr) : tIso('com.stale', args, ltr);
  return out;
}

// A form being filled in is not swapped away by a live part's refresh.
document.addEventListener('input', (ev) => {
  ev.target.closest?.('form.com-form')?.setAttribute('data-dirty', '');
});

// ---- the registry's map ----

const mapEl = document.getElementById('projects-map');
if (mapEl) drawMap(mapEl).catch((e) => console.error('map:', e));

async function drawMap(el) {
  const L = window.L;
  const map = await newMap(el);
  const r = await fetch(el.dataset.data, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } });
  if (!r.ok) throw new Error(await problemDetail(r));
  const data = await r.json();
  const byZone = new Map();
  const all = [];
  for (const z of data.zones) {
    const layers = zoneLayers(z);
    for (const l of layers) {
      l.bindTooltip(z.name, { className: 'zone-label' });
      l.addTo(map);
      all.push(l);
    }
    const b = boundsOf(layers);
    if (b) byZone.set(z.id, b);
  }
  const projects = JSON.parse(el.dataset.projects || '[]');
  const placed = new Map(); // how many markers already sit at a zone's centre
  const marks = [];
  for (const p of projects) {
    const b = byZone.get(p.site) || byZone.get(p.zone);
    if (!b) continue;
    const key = p.site && byZone.has(p.site) ? p.site : p.zone;
    const n = placed.get(key) || 0;
    placed.set(key, n + 1);
    // Projects of one zone share its centre: spread them on a small ring
    // so that each stays clickable.
    const c = b.getCenter();
    const at = n === 0 ? c : L.latLng(c.lat + 0.012 * Math.cos(n * 2.1), c.lng + 0.012 * Math.sin(n * 2.1));
    const m = L.circleMarker(at, { radius: 9, weight: p.held ? 4 : 2, color: p.held ? '#a1000e' : '#16181d', fillColor: '#ffd54f', fillOpacity: 1,
      className: 'project-marker' + (p.held ? ' held' : '') });
    m.bindTooltip(p.title + ' · ' + p.label + (p.held ? ' · ' + t('com.held') : ''));
    m.on('click', () => location.assign(p.href));
    m.addTo(map);
    marks.push(m);
  }
  el.dataset.markers = String(marks.length);
  const b = boundsOf(all) || boundsOf(marks);
  if (b) map.fitBounds(b.pad(0.05), { animate: false });
}

// ---- live ----

const live = document.querySelector('[data-live]');
const parts = [...document.querySelectorAll('[data-fragment]')];
const refresh = debounce(async () => {
  for (const el of parts) {
    // A form being filled in is not swapped away under the officer.
    if ((el.contains(document.activeElement) && document.activeElement !== document.body) || el.querySelector('form[data-dirty]')) continue;
    const q = new URLSearchParams(location.search);
    q.set('fragment', el.dataset.fragment);
    try {
      const html = await fetchFragment(location.pathname + '?' + q);
      if (html != null) el.replaceChildren(parseHTML(html));
    } catch (e) {
      console.error('fragment:', e);
    }
  }
}, 300);

const desk = /^(project|pledge|funding)\.|^incident\.|^posture\./;
document.addEventListener('liaison:entry', (ev) => {
  if (live && desk.test(ev.detail?.kind || '')) refresh();
});
document.addEventListener('liaison:resync', () => { if (parts.length) refresh(); });
