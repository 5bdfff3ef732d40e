// The desk's map: the zones by kind (drafts dashed and labelled), the
// activities notified that the reader may read, active at the time the
// slider chooses (now by default), the incidents of the last days; and the
// forms that notify an activity drawn on the map and report an incident
// placed on it, each signed with this browser's device key.
import { t, say, signAndSubmit, csrf, problemDetail, debounce, alertPage } from '/static/js/page.js';
import { newMap, zoneLayers, shapeLayer, boundsOf, zoned, fromLocalUTC, zonesHints, conflictsBox, notifiedResult, formBusy } from '/static/js/deskkit.js';

const L = window.L;
const el = document.getElementById('map');
const slider = document.getElementById('map-time');
const nowButton = document.getElementById('map-now');
const out = document.getElementById('map-time-out');
const shownList = document.getElementById('map-shown');
const shownCount = document.getElementById('map-shown-count');

const STEP = 15 * 60 * 1000; // the slider moves by a quarter of an hour
let data = { zones: [], activities: [], incidents: [], parties: [] };
let origin = 0; // the instant of the slider's 0
let following = true; // the slider follows the clock until moved

const map = await newMap(el);
map.createPane('draftLabels').style.zIndex = 550; // above the shapes, below the markers
const zonesLayer = L.layerGroup().addTo(map);
const activitiesLayer = L.layerGroup().addTo(map);
const incidentsLayer = L.layerGroup().addTo(map);
const drawLayer = L.layerGroup().addTo(map);

const partyName = (id) => data.parties.find((p) => p.id === id)?.name || id;

// ---- data ----

async function load() {
  const r = await fetch(el.dataset.data, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } });
  if (!r.ok) throw new Error(await problemDetail(r));
  data = await r.json();
  el.dataset.zones = String(data.zones.length);
  drawZones();
  drawIncidents();
  setRange();
  showAt(at());
}

let fitted = false;
function drawZones() {
  zonesLayer.clearLayers();
  const all = [];
  for (const z of data.zones) {
    const card = document.querySelector(`[data-zone-card="${CSS.escape(z.id + '/' + z.version)}"]`);
    for (const layer of zoneLayers(z)) {
      all.push(layer);
      if (layer.options.interactive !== false) {
        if (card) clickable(layer, () => popupOf(card.cloneNode(true)));
        const label = (z.draft ? t('map.draft_label') + ' ' : '') + z.name;
        // A draft's label stays on, under the markers: it must not hide an
        // incident reported where the draft is.
        layer.bindTooltip(label, { permanent: z.draft, direction: 'top', className: z.draft ? 'draft-label' : 'zone-label', pane: z.draft ? 'draftLabels' : 'tooltipPane' });
      }
      zonesLayer.addLayer(layer);
    }
  }
  if (!fitted) {
    fitted = true;
    const r = data.region;
    if (r) {
      const region = L.latLngBounds([[r.south, r.west], [r.north, r.east]]);
      // The zones fill the first view; the region bounds the panning.
      const zones = boundsOf(all);
      map.fitBounds(zones && region.contains(zones) ? zones.pad(0.05) : region, { animate: false });
      // Panning stays over what the map can show: the region, and the
      // base map around it.
      map.setMaxBounds((map.basemapBounds ? region.extend(map.basemapBounds) : region).pad(0.1));
    } else {
      const b = boundsOf(all);
      if (b) map.fitBounds(b, { animate: false });
    }
  }
}

// clickable gives a layer its popup, opened on a click unless the officer
// is drawing or picking a place: the click is then theirs (a vertex, a
// place), and a popup opening, and panning the map to show itself, would
// swallow the next click. A marker does not pass its clicks to the map, so
// it hands them over.
function clickable(layer, content) {
  layer.on('click', (ev) => {
    if (mode) {
      if (layer instanceof L.Marker) map.fire('click', { latlng: ev.latlng });
      return;
    }
    L.popup({ maxWidth: 340 }).setLatLng(ev.latlng).setContent(content()).openOn(map);
  });
}

// popupOf wraps server-rendered text for a popup, in the page's direction
// (the map itself stays left to right).
function popupOf(node) {
  const wrap = document.createElement('div');
  wrap.dir = document.documentElement.dir;
  wrap.lang = document.documentElement.lang;
  wrap.className = 'popup';
  wrap.append(node);
  return wrap;
}

function drawIncidents() {
  incidentsLayer.clearLayers();
  for (const inc of data.incidents) {
    const g = inc.geometry;
    if (!g) continue;
    const shape = shapeLayer({ geometry: g, radius_m: inc.radius_m });
    const at = g.type === 'Point' ? [g.coordinates[1], g.coordinates[0]] : shape?.getBounds().getCenter();
    if (!at) continue;
    const icon = L.divIcon({ className: 'incident-icon sev-' + inc.severity, html: '!', iconSize: [22, 22] });
    const m = L.marker(at, { icon, title: inc.title + ' — ' + inc.label, alt: inc.title, keyboard: true });
    clickable(m, () => {
      const box = document.createElement('div');
      const a = document.createElement('a');
      a.href = inc.href;
      a.textContent = t('map.incident_link', { id: inc.id }) + ' ' + inc.title;
      a.dir = 'auto';
      const p1 = document.createElement('p');
      p1.textContent = inc.precedence + ' · ' + inc.label + ' · ' + inc.party_name;
      const p2 = document.createElement('p');
      p2.dir = 'ltr';
      p2.textContent = zoned(Date.parse(inc.occurred_at), 'UTC');
      box.append(a, p1, p2);
      return popupOf(box);
    });
    incidentsLayer.addLayer(m);
  }
}

// ---- the time slider ----

function setRange() {
  const now = Date.parse(data.now) || Date.now();
  let lo = now - 6 * 3600e3, hi = now + 24 * 3600e3;
  for (const a of data.activities) {
    for (const v of a.volumes) {
      lo = Math.min(lo, Date.parse(v.start));
      hi = Math.max(hi, Date.parse(v.end));
    }
  }
  hi = Math.min(hi, now + 31 * 24 * 3600e3);
  lo = Math.max(lo, now - 7 * 24 * 3600e3);
  const keep = following ? now : at();
  origin = Math.floor(lo / STEP) * STEP;
  slider.max = String(Math.ceil((hi - origin) / STEP));
  slider.value = String(Math.round((Math.min(Math.max(keep, origin), hi) - origin) / STEP));
  nowAt = now;
}
let nowAt = Date.now();

// at is the instant the slider shows; while it follows the clock, now.
function at() {
  if (following) return nowAt;
  return origin + Number(slider.value) * STEP;
}

function showAt(ms) {
  for (const span of out.querySelectorAll('.time-zone')) {
    span.querySelector('time').textContent = zoned(ms, span.dataset.zone);
    span.querySelector('time').dateTime = new Date(ms).toISOString();
  }
  slider.setAttribute('aria-valuetext', zoned(ms, 'UTC') + (following ? ' (' + t('map.time.now_word') + ')' : ''));
  activitiesLayer.clearLayers();
  const shown = [];
  for (const a of data.activities) {
    a.volumes.forEach((v, i) => {
      const s = Date.parse(v.start), e = Date.parse(v.end);
      if (!(s <= ms && ms < e)) return;
      const colour = a.mine ? '#0b3f8f' : '#c2185b';
      const layer = shapeLayer(v, { color: colour, fillColor: colour, fillOpacity: 0.18, weight: 2.5, className: 'activity activity-' + a.id + (a.mine ? ' mine' : '') });
      if (!layer) return;
      layer.bindTooltip(a.precedence + ' · ' + a.title, { direction: 'top' });
      clickable(layer, () => activityPopup(a, v, i));
      activitiesLayer.addLayer(layer);
      shown.push([a, v, i]);
    });
  }
  el.dataset.shownActivities = shown.map(([a]) => a.id).join(' ');
  shownList.replaceChildren(...shown.map(([a, v, i]) => shownItem(a, v, i)));
  // The time isolated left to right inside the sentence, which may not be.
  shownCount.textContent = t('map.shown.count', { n: shown.length, t: '\u2066' + zoned(ms, 'UTC') + '\u2069' });
}

function windowText(v) {
  return zoned(Date.parse(v.start), 'UTC') + ' → ' + zoned(Date.parse(v.end), 'UTC');
}

function activityPopup(a, v, i) {
  const box = document.createElement('div');
  const link = document.createElement('a');
  link.href = a.href;
  link.dir = 'auto';
  link.textContent = t('map.activity_link', { id: a.id }) + ' ' + a.title;
  const p1 = document.createElement('p');
  p1.textContent = a.precedence + ' · ' + a.type_label + ' · ' + a.party_name + (a.volumes.length > 1 ? ' · ' + t('map.volume', { n: i + 1 }) : '');
  const p2 = document.createElement('p');
  p2.dir = 'ltr';
  p2.textContent = windowText(v);
  box.append(link, p1, p2);
  if (v.alt_lo_m != null) {
    const p3 = document.createElement('p');
    p3.textContent = t('map.altitude', { lo: v.alt_lo_m, hi: v.alt_hi_m });
    box.append(p3);
  }
  if (a.held) {
    const p4 = document.createElement('p');
    p4.className = 'held-note';
    p4.textContent = t('map.held');
    box.append(p4);
  }
  return popupOf(box);
}

function shownItem(a, v, i) {
  const li = document.createElement('li');
  li.className = 'item prec-edge-' + a.precedence.toLowerCase();
  li.dataset.activity = String(a.id);
  const prec = document.createElement('span');
  prec.className = 'prec prec-' + a.precedence.toLowerCase();
  prec.textContent = a.precedence;
  const link = document.createElement('a');
  link.href = a.href;
  link.dir = 'auto';
  link.textContent = a.title;
  const meta = document.createElement('p');
  meta.className = 'line2';
  meta.textContent = a.type_label + ' · ' + a.party_name + (a.volumes.length > 1 ? ' · ' + t('map.volume', { n: i + 1 }) : '') + (a.held ? ' · ' + t('map.held_short') : '');
  const when = document.createElement('p');
  when.className = 'line3';
  when.dir = 'ltr';
  when.textContent = windowText(v);
  li.append(prec, ' ', link, meta, when);
  return li;
}

slider.addEventListener('input', () => {
  following = false;
  showAt(at());
});
nowButton.addEventListener('click', () => {
  following = true;
  nowAt = Date.now();
  setRange();
  showAt(at());
});
// While it follows the clock, the map moves with it.
setInterval(() => {
  if (!following) return;
  nowAt = Date.now();
  slider.value = String(Math.round((nowAt - origin) / STEP));
  showAt(nowAt);
}, 30000);

const reload = debounce(() => load().catch((e) => alertPage(e.message)), 200);
document.addEventListener('liaison:entry', (ev) => {
  if (/^(activity|conflict|incident|zone|verification)\./.test(ev.detail?.kind || '')) reload();
});
document.addEventListener('liaison:resync', reload);

try {
  await load();
} catch (e) {
  alertPage(e.message);
}

// ---- drawing ----

// Draw is the small drawing tool of the notify form: a polygon by its
// vertices, a point with a radius, a route with a width. What it draws is
// also the form's GeoJSON, which an officer may paste or type instead.
class Draw {
  constructor(form) {
    this.form = form;
    this.box = form.querySelector('[data-draw]');
    this.text = this.box.querySelector('textarea[name="geojson"]');
    this.button = this.box.querySelector('[data-draw-start]');
    this.points = [];
    this.active = false;
    this.box.addEventListener('change', (ev) => {
      if (ev.target.name === 'shape') { this.reset(); this.hints(); }
      if (ev.target.name === 'radius' || ev.target.name === 'width') this.redraw();
    });
    this.button.addEventListener('click', () => (this.active ? this.finish() : this.start()));
    this.box.querySelector('[data-draw-undo]').addEventListener('click', () => { this.points.pop(); this.redraw(); this.write(); });
    this.box.querySelector('[data-draw-finish]').addEventListener('click', () => this.finish());
    this.box.querySelector('[data-draw-clear]').addEventListener('click', () => this.reset());
    this.text.addEventListener('change', () => {
      try {
        this.read();
      } catch (e) {
        say(form.querySelector('[data-error]'), e.message);
      }
    });
    this.hints();
  }

  get shape() { return this.box.querySelector('input[name="shape"]:checked').value; }

  hints() {
    for (const h of this.box.querySelectorAll('[data-hint-for]')) h.hidden = h.dataset.hintFor !== this.shape;
    for (const f of this.box.querySelectorAll('[data-for-shape]')) f.hidden = f.dataset.forShape !== this.shape;
  }

  start() {
    this.active = true;
    mode = 'draw';
    map.closePopup();
    this.points = [];
    this.redraw();
    this.button.setAttribute('aria-pressed', 'true');
    el.classList.add('drawing');
    el.scrollIntoView({ block: 'nearest' });
    map.doubleClickZoom.disable();
    say(document.getElementById('announce'), t('map.draw.started'));
  }

  finish() {
    this.active = false;
    if (mode === 'draw') mode = null;
    this.button.setAttribute('aria-pressed', 'false');
    el.classList.remove('drawing');
    map.doubleClickZoom.enable();
    this.write();
  }

  reset() {
    this.points = [];
    this.text.value = '';
    if (this.active) this.finish();
    this.redraw();
  }

  click(latlng) {
    const p = [round(latlng.lng), round(latlng.lat)];
    if (this.shape === 'point') {
      this.points = [p];
      this.redraw();
      this.finish();
      return;
    }
    this.points.push(p);
    this.redraw();
    this.write();
  }

  geometry() {
    const ps = this.points;
    switch (this.shape) {
      case 'point': return ps.length ? { type: 'Point', coordinates: ps[0] } : null;
      case 'route': return ps.length >= 2 ? { type: 'LineString', coordinates: ps } : null;
      default: return ps.length >= 3 ? { type: 'Polygon', coordinates: [[...ps, ps[0]]] } : null;
    }
  }

  metres(name) { return Number(this.box.querySelector(`input[name="${name}"]`).value) || 0; }

  // volumeShape is the shape the form sends: the geometry drawn (or
  // given), with the radius or the width its kind takes.
  volumeShape() {
    if (this.text.value.trim() && !this.geometry()) this.read();
    const g = this.geometry();
    if (!g) throw new Error(t('map.draw.missing'));
    const s = { geometry: g };
    if (g.type === 'Point') s.radius_m = this.metres('radius');
    if (g.type === 'LineString') s.width_m = this.metres('width');
    return s;
  }

  write() {
    const g = this.geometry();
    this.text.value = g ? JSON.stringify(g) : '';
  }

  // read takes a geometry typed or pasted: a GeoJSON geometry, a Feature,
  // or the first feature of a FeatureCollection.
  read() {
    const v = this.text.value.trim();
    if (!v) { this.points = []; this.redraw(); return; }
    let g;
    try {
      g = JSON.parse(v);
    } catch {
      throw new Error(t('map.draw.bad_geojson'));
    }
    if (g.type === 'FeatureCollection') g = g.features?.[0];
    if (g?.type === 'Feature') {
      const props = g.properties || {};
      if (props.radius_m) this.box.querySelector('input[name="radius"]').value = props.radius_m;
      if (props.width_m) this.box.querySelector('input[name="width"]').value = props.width_m;
      g = g.geometry;
    }
    const kinds = { Polygon: 'polygon', Point: 'point', LineString: 'route' };
    if (!g || !kinds[g.type]) throw new Error(t('map.draw.bad_geojson'));
    this.box.querySelector(`input[name="shape"][value="${kinds[g.type]}"]`).checked = true;
    this.hints();
    this.points = g.type === 'Point' ? [g.coordinates] : g.type === 'LineString' ? g.coordinates : g.coordinates[0].slice(0, -1);
    this.redraw();
    const b = boundsOf(drawLayer.getLayers());
    if (b) map.fitBounds(b, { maxZoom: 12, padding: [30, 30] });
  }

  redraw() {
    drawLayer.clearLayers();
    const style = { color: '#111', weight: 2.5, dashArray: '4 4', fillColor: '#111', fillOpacity: 0.12, className: 'drawn' };
    const g = this.geometry();
    if (g) {
      const layer = shapeLayer({ geometry: g, radius_m: this.metres('radius') }, style);
      if (layer) drawLayer.addLayer(layer);
    } else if (this.points.length) {
      drawLayer.addLayer(L.polyline(this.points.map(([x, y]) => [y, x]), style));
    }
    for (const [x, y] of this.points) drawLayer.addLayer(L.circleMarker([y, x], { radius: 4, color: '#111', weight: 2, fillOpacity: 1, fillColor: '#fff' }));
  }
}

const round = (v) => Math.round(v * 1e6) / 1e6;

let mode = null; // 'draw' (the notify form's volume) or 'pick' (an incident's place)
let draw = null;
let pick = null;

map.on('click', (ev) => {
  if (mode === 'draw' && draw?.active) draw.click(ev.latlng);
  else if (mode === 'pick' && pick) pick(ev.latlng);
});
map.on('dblclick', () => { if (mode === 'draw' && draw?.active && draw.shape !== 'point') draw.finish(); });

function checked(form, name) {
  return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((x) => x.value);
}

function names() {
  const types = Object.fromEntries([...document.querySelectorAll('#n-type option')].map((o) => [o.value, o.textContent]));
  return { parties: Object.fromEntries(data.parties.map((p) => [p.id, p.name])), types };
}

// ---- notify an activity ----

const notify = document.getElementById('notify');
if (notify) {
  draw = new Draw(notify);
  const conflictsEl = notify.querySelector('[data-conflicts]');
  const result = notify.querySelector('[data-result]');
  let seenOf = null; // after a 409: the refs the officer ticks
  notify.addEventListener('input', (ev) => {
    // A changed activity is checked again from the start.
    if (seenOf && ev.target.closest('[data-conflicts]') === null) {
      seenOf = null;
      conflictsEl.hidden = true;
      conflictsEl.replaceChildren();
    }
  });
  notify.addEventListener('submit', (ev) => {
    ev.preventDefault();
    formBusy(notify, async (status) => {
      result.hidden = true;
      const title = notify.title.value.trim();
      if (!title) {
        notify.title.focus();
        throw new Error(t('map.error.title'));
      }
      const start = fromLocalUTC(notify.start.value), end = fromLocalUTC(notify.end.value);
      if (Number.isNaN(start) || Number.isNaN(end) || end <= start) {
        notify.end.focus();
        throw new Error(t('map.error.window'));
      }
      const volume = { ...draw.volumeShape(), start: new Date(start).toISOString(), end: new Date(end).toISOString() };
      const lo = notify.alt_lo.value, hi = notify.alt_hi.value;
      if (lo !== '' || hi !== '') {
        if (lo === '' || hi === '' || !(Number(lo) < Number(hi))) {
          notify.alt_lo.focus();
          throw new Error(t('map.error.altitude'));
        }
        volume.alt_lo_m = Number(lo);
        volume.alt_hi_m = Number(hi);
      }
      const fields = { type: notify.type.value, title, addressed: checked(notify, 'addressed'), precedence: notify.precedence.value, volumes: [volume] };
      const desc = notify.description.value.trim();
      if (desc) fields.description = desc;
      if (seenOf) fields.seen = seenOf();
      let res;
      try {
        res = await signAndSubmit('/activities', 'activity.notify', fields);
      } catch (e) {
        if (e.status === 409 && Array.isArray(e.problem?.conflicts)) {
          seenOf = conflictsBox(conflictsEl, e.problem.conflicts, names());
          status.textContent = '';
          throw new Error(t('map.conflicts.say', { n: e.problem.conflicts.length }));
        }
        throw e;
      }
      seenOf = null;
      conflictsEl.hidden = true;
      conflictsEl.replaceChildren();
      say(status, t('sent'));
      notifiedResult(result, res.activity, Object.fromEntries(data.zones.map((z) => [z.id, z.name])));
      notify.title.value = '';
      notify.description.value = '';
      draw.reset();
      reload();
    });
  });
}

// ---- report an incident ----

const report = document.getElementById('report');
if (report) {
  const pickButton = report.querySelector('[data-pick]');
  let marker = null;
  const place = () => {
    const lat = Number(report.lat.value), lng = Number(report.lng.value);
    drawLayer.removeLayer(marker ?? L.layerGroup());
    marker = null;
    if (report.lat.value === '' || report.lng.value === '' || !Number.isFinite(lat) || !Number.isFinite(lng)) return;
    marker = L.circle([lat, lng], { radius: Number(report.radius.value) || 50, color: '#a1000e', weight: 2.5, fillOpacity: 0.2, className: 'picked' });
    drawLayer.addLayer(marker);
  };
  pick = (latlng) => {
    report.lat.value = String(round(latlng.lat));
    report.lng.value = String(round(latlng.lng));
    mode = null;
    pickButton.setAttribute('aria-pressed', 'false');
    el.classList.remove('drawing');
    place();
    say(document.getElementById('announce'), t('map.picked', { lat: report.lat.value, lng: report.lng.value }));
  };
  pickButton.addEventListener('click', () => {
    const on = mode !== 'pick';
    if (draw?.active) draw.finish();
    mode = on ? 'pick' : null;
    pickButton.setAttribute('aria-pressed', String(on));
    el.classList.toggle('drawing', on);
    if (on) {
      map.closePopup();
      el.scrollIntoView({ block: 'nearest' });
    }
  });
  for (const name of ['lat', 'lng', 'radius']) report[name].addEventListener('change', place);
  const result = report.querySelector('[data-result]');
  report.addEventListener('submit', (ev) => {
    ev.preventDefault();
    formBusy(report, async (status) => {
      result.hidden = true;
      const title = report.title.value.trim(), description = report.description.value.trim();
      if (!title || !description) {
        (title ? report.description : report.title).focus();
        throw new Error(t('map.error.incident_text'));
      }
      const lat = Number(report.lat.value), lng = Number(report.lng.value);
      if (report.lat.value === '' || report.lng.value === '' || !Number.isFinite(lat) || !Number.isFinite(lng)) {
        report.lat.focus();
        throw new Error(t('map.error.location'));
      }
      const occurred = fromLocalUTC(report.occurred.value);
      if (Number.isNaN(occurred)) {
        report.occurred.focus();
        throw new Error(t('map.error.occurred'));
      }
      const attachments = [];
      for (const file of report.attachments.files) {
        say(status, t('uploading', { name: file.name }));
        const r = await fetch('/api/v1/blobs', { method: 'POST', credentials: 'same-origin', body: file,
          headers: { 'Content-Type': 'application/octet-stream', 'X-CSRF-Token': csrf } });
        if (!r.ok) throw new Error(file.name + ': ' + await problemDetail(r));
        const blob = await r.json();
        attachments.push({ sha256: blob.sha256, name: file.name, size: file.size, type: file.type || 'application/octet-stream' });
      }
      say(status, t('sending'));
      const location = { geometry: { type: 'Point', coordinates: [lng, lat] } };
      const radius = Number(report.radius.value);
      if (radius > 0) location.radius_m = radius;
      const fields = { occurred_at: new Date(occurred).toISOString(), location, category: report.category.value, severity: report.severity.value,
        precedence: report.precedence.value, title, description, addressed: checked(report, 'addressed') };
      const alleged = checked(report, 'alleged');
      if (alleged.length) fields.alleged = alleged;
      if (attachments.length) fields.attachments = attachments;
      const res = await signAndSubmit('/incidents', 'incident.report', fields);
      say(status, t('sent'));
      result.replaceChildren();
      const p = document.createElement('p');
      p.className = 'result-head';
      if (res.entry) {
        const a = document.createElement('a');
        a.href = '/incidents/' + res.entry.index;
        a.textContent = t('map.result.incident_link', { id: res.entry.index });
        p.append(t('map.result.reported') + ' ', a);
      } else {
        p.append(t('mirror.queued_write', { detail: res.detail || '' }));
      }
      result.append(p);
      result.hidden = false;
      result.focus();
      report.reset();
      place();
      reload();
    });
  });
}

for (const form of [notify, report]) if (form) zonesHints(form, data.parties);
