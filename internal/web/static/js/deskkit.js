// What the de-escalation desk's pages share: Leaflet over the bundled base
// map (no tile server: the cell may work offline, and the CSP allows
// nothing from elsewhere), the zones drawn by kind, shapes as commands
// carry them, times in UTC and each party's zone, and the answer to a
// notification that overlaps others it must name.
import { t, say } from '/static/js/page.js';

const L = window.L; // leaflet.js, loaded as a classic script before the page's module

// Colours by zone kind; the legend and every popup also name the kind in
// words, and drafts are dashed and labelled, so colour never speaks alone.
export const kindColour = {
  separation: '#b3261e',
  limitation: '#9a5b00',
  demilitarized: '#6a3d9a',
  economic: '#1b6b32',
  line: '#3b3b3b',
  protected: '#00695c',
};

let basemap; // one fetch per page, shared by its maps
function basemapData(url) {
  basemap ??= fetch(url, { credentials: 'same-origin' }).then((r) => {
    if (!r.ok) throw new Error(url + ': ' + r.status);
    return r.json();
  });
  return basemap;
}

const baseStyles = {
  land: { stroke: false, fillColor: '#f2efe6', fillOpacity: 1 },
  lake: { color: '#5b8db8', weight: 1, fillColor: '#b7d3ea', fillOpacity: 1 },
  coast: { color: '#5b8db8', weight: 1.2 },
  border: { color: '#5c5c5c', weight: 1.5, dashArray: '6 3 1 3' },
};

// newMap makes a Leaflet map in el over the base map. It resolves once the
// base map is drawn (a map without it is still a map: zones draw anyway).
export async function newMap(el, opts = {}) {
  const map = L.map(el, { zoomSnap: 0.5, minZoom: 6, maxZoom: 17, worldCopyJump: false, ...opts });
  map.attributionControl.setPrefix('Leaflet');
  map.attributionControl.addAttribution(t('map.attribution'));
  map.createPane('base').style.zIndex = 250;
  try {
    const data = await basemapData(el.dataset.basemap);
    // The sea is what the base map covers and its land does not; beyond
    // what it covers, the map has no data and says so by its grey.
    const [w, s, e, n] = data.bbox;
    L.rectangle([[s, w], [n, e]], { pane: 'base', interactive: false, stroke: false, fillColor: '#cfe2f1', fillOpacity: 1 }).addTo(map);
    map.basemapBounds = L.latLngBounds([[s, w], [n, e]]);
    map.fitBounds(map.basemapBounds, { animate: false });
    for (const layer of ['land', 'lake', 'coast', 'border']) {
      const fs = data.features.filter((f) => f.properties.layer === layer);
      L.geoJSON(fs, { pane: 'base', interactive: false, style: baseStyles[layer] }).addTo(map);
    }
    el.dataset.basemapLoaded = String(data.features.length);
  } catch (e) {
    el.dataset.basemapLoaded = '0';
    console.error('base map:', e);
  }
  // A map has a view before anything is drawn on it: a circle's bounds
  // are computed in the map's projection.
  if (!map._loaded) map.setView([0, 0], 2);
  return map;
}

const ll = ([lng, lat]) => [lat, lng];

// shapeLayer draws a shape as the desk's commands carry it: a GeoJSON
// geometry, a point with its radius, a route with its width.
export function shapeLayer(shape, style = {}) {
  const g = shape.geometry || {};
  switch (g.type) {
    case 'Point':
      return L.circle(ll(g.coordinates), { radius: shape.radius_m || 50, ...style });
    case 'LineString':
      return L.polyline(g.coordinates.map(ll), { weight: 5, ...style, fill: false });
    case 'Polygon':
      return L.polygon(g.coordinates.map((r) => r.map(ll)), style);
    case 'MultiPolygon':
      return L.polygon(g.coordinates.map((p) => p.map((r) => r.map(ll))), style);
    default:
      return null;
  }
}

// zoneLayers draws a zone version (and a protected site's buffer).
export function zoneLayers(z) {
  const colour = kindColour[z.kind] || '#333';
  const style = { color: colour, fillColor: colour, weight: z.draft ? 2.5 : 2, fillOpacity: z.draft ? 0.04 : (z.kind === 'protected' ? 0.25 : 0.12),
    dashArray: z.draft ? '8 6' : null, className: 'zone zone-' + z.kind + (z.draft ? ' zone-draft' : '') };
  if (z.kind === 'line') style.weight = z.draft ? 3 : 4;
  const out = [];
  const main = shapeLayer(z, style);
  if (main) out.push(main);
  if (z.buffer_m > 0 && z.geometry?.type === 'Point') {
    out.push(L.circle(ll(z.geometry.coordinates), { radius: (z.radius_m || 0) + z.buffer_m, color: colour, weight: 1.5, dashArray: '2 5',
      fill: false, interactive: false, className: 'zone-buffer' }));
  }
  return out;
}

export function boundsOf(layers) {
  let b = null;
  for (const l of layers) {
    const lb = l.getBounds ? l.getBounds() : null;
    if (lb && lb.isValid()) b = b ? b.extend(lb) : L.latLngBounds(lb.getSouthWest(), lb.getNorthEast());
  }
  return b;
}

// ---- times ----

const fmts = new Map();
function fmt(zone) {
  if (!fmts.has(zone)) {
    fmts.set(zone, new Intl.DateTimeFormat('en-GB', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'shortOffset' }));
  }
  return fmts.get(zone);
}

// zoned renders an instant as the server's stamps do: UTC with its date;
// a zone's time with its offset (and its date when it differs from UTC's).
export function zoned(ms, zone) {
  const p = Object.fromEntries(fmt(zone).formatToParts(ms).map((x) => [x.type, x.value]));
  const date = `${p.year}-${p.month}-${p.day}`;
  if (zone === 'UTC') return `${date} ${p.hour}:${p.minute} UTC`;
  let off = (p.timeZoneName || '').replace('GMT', 'UTC');
  if (off === 'UTC') off = 'UTC+0';
  const utcDate = new Date(ms).toISOString().slice(0, 10);
  return `${date === utcDate ? '' : date + ' '}${p.hour}:${p.minute} ${off}`;
}

// fromLocalUTC reads a datetime-local input whose value the form says is
// UTC ("2025-06-01T14:30"): never the browser's own zone, which an officer
// on another continent's laptop must not have to think about.
export function fromLocalUTC(value) {
  if (!value) return NaN;
  return Date.parse(value.length === 16 ? value + ':00Z' : value + 'Z');
}

// zonesHints keeps, under each datetime input of a form, the same instant
// in each party's zone.
export function zonesHints(form, parties) {
  for (const hint of form.querySelectorAll('[data-zones-of]')) {
    const input = form.querySelector('#' + CSS.escape(hint.dataset.zonesOf));
    const show = () => {
      const ms = fromLocalUTC(input.value);
      hint.textContent = Number.isNaN(ms) ? '' : parties.map((p) => `${p.name} ${zoned(ms, p.zone)}`).join(' · ');
    };
    input.addEventListener('input', show);
    show();
  }
}

// ---- the 409 answer: notifications the new one overlaps ----

// conflictsBox shows, in box, each notification the server says the
// command overlaps and must name, with a box to tick per notification
// ("I have read notification N, version V"). It returns a function that
// gives the refs ticked, or throws when one is not.
export function conflictsBox(box, conflicts, names = {}) {
  box.replaceChildren();
  const fs = document.createElement('fieldset');
  fs.className = 'conflicts';
  const legend = document.createElement('legend');
  legend.textContent = t('map.conflicts.legend', { n: conflicts.length });
  const explain = document.createElement('p');
  explain.className = 'hint';
  explain.textContent = t('map.conflicts.explain');
  fs.append(legend, explain);
  const list = document.createElement('ul');
  list.className = 'items';
  for (const c of conflicts) {
    const li = document.createElement('li');
    li.className = 'item conflict';
    li.dataset.conflict = String(c.notification);
    const label = document.createElement('label');
    label.className = 'check';
    const cb = document.createElement('input');
    cb.type = 'checkbox';
    cb.dataset.notification = String(c.notification);
    cb.dataset.version = String(c.version);
    label.append(cb, ' ' + t('map.conflicts.read', { n: c.notification, v: c.version }));
    const what = document.createElement('p');
    const a = document.createElement('a');
    a.href = '/activities/' + c.notification;
    a.target = '_blank';
    a.rel = 'noopener';
    a.textContent = c.title;
    a.dir = 'auto';
    what.append(a, ' · ' + (names.parties?.[c.party] || c.party) + ' · ' + (names.types?.[c.type] || c.type));
    const when = document.createElement('p');
    when.className = 'line3';
    when.dir = 'ltr';
    when.textContent = zoned(Date.parse(c.start), 'UTC') + ' → ' + zoned(Date.parse(c.end), 'UTC');
    li.append(label, what, when);
    list.append(li);
  }
  fs.append(list);
  box.append(fs);
  box.hidden = false;
  box.querySelector('input')?.focus();
  return () => {
    const boxes = [...box.querySelectorAll('input[type="checkbox"]')];
    const missing = boxes.find((b) => !b.checked);
    if (missing) {
      missing.focus();
      throw new Error(t('map.conflicts.tick'));
    }
    return boxes.map((b) => ({ notification: Number(b.dataset.notification), version: Number(b.dataset.version) }));
  };
}

// zoneConflictText says, in the reader's words, a zone rule a notification
// breaks.
export function zoneConflictText(zc) {
  if (zc.rule === 'notice') return t('map.zc.notice', { lead: hours(zc.lead_time_s), given: hours(zc.given_s || 0) });
  if (zc.rule === 'protected') return t('map.zc.protected');
  return t('map.zc.prohibited');
}

function hours(s) {
  const h = Math.floor(s / 3600), m = Math.round((s % 3600) / 60);
  if (h && m) return t('map.hours_minutes', { h, m });
  return h ? t('map.hours', { n: h }) : t('map.minutes', { n: m });
}

// notifiedResult tells the notifier what the server answered: the zone
// rules the version breaks and, plainly, whether a conflict is held for
// the mediator — nothing more, for the notifier may not know with what.
export function notifiedResult(box, activity, zoneNames = {}) {
  box.replaceChildren();
  const head = document.createElement('p');
  head.className = 'result-head';
  const a = document.createElement('a');
  a.href = '/activities/' + activity.id;
  a.textContent = t('map.result.link', { id: activity.id, version: activity.version });
  head.append(t('map.result.notified') + ' ', a);
  box.append(head);
  const last = activity.versions?.[activity.versions.length - 1];
  const zcs = last?.zone_conflicts || [];
  const p = document.createElement('p');
  if (zcs.length === 0) {
    p.textContent = t('map.result.no_rules');
    box.append(p);
  } else {
    p.textContent = t('map.result.rules', { n: zcs.length });
    const ul = document.createElement('ul');
    ul.className = 'zone-conflicts';
    for (const zc of zcs) {
      const li = document.createElement('li');
      li.className = 'zc zc-' + zc.rule;
      li.dataset.zone = zc.zone;
      const za = document.createElement('a');
      za.href = '/zones/' + encodeURIComponent(zc.zone);
      za.dir = 'auto';
      za.textContent = zoneNames[zc.zone] || zc.name;
      li.append(za, ' · ' + zoneConflictText(zc));
      ul.append(li);
    }
    box.append(p, ul);
  }
  if (activity.held) {
    const held = document.createElement('p');
    held.className = 'held-note';
    held.dataset.held = '';
    held.textContent = t('map.result.held');
    box.append(held);
  }
  box.hidden = false;
  box.focus();
}

// formBusy runs a form's signed write, showing its status and any problem
// next to it.
export async function formBusy(form, work) {
  const button = form.querySelector('button[type="submit"]');
  const error = form.querySelector('[data-error]');
  const status = form.querySelector('[data-status]');
  button.disabled = true;
  error.textContent = '';
  say(status, t('sending'));
  try {
    await work(status);
  } catch (e) {
    status.textContent = '';
    // An error may carry its message as nodes (tIso), its parts isolated.
    say(error, e.nodes ?? e.message);
  } finally {
    button.disabled = false;
  }
}
