// The intelligence desk's pages. A bundle is signed as the exact bytes of
// the file the analyst chose (or of the post their platform staged, or of
// the draft the gate made): the bytes are spliced into the payload, never
// parsed and written again, since the signature must cover what was read.
// The proposal's id is random, for recipients learn it and it must say
// nothing. Locations are drawn on the de-escalation desk's base map, and
// the queue and the released list are read again when the stream brings
// the desk's traffic.
import { t, say, signAndSubmit, signAndSubmitSpliced, csrf, problemDetail, fetchFragment, parseHTML, debounce } from '/static/js/page.js';
import { formBusy, newMap, shapeLayer, boundsOf } from '/static/js/deskkit.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// inspect reads a bundle's bytes as the gate will: UTF-8 JSON, a STIX
// bundle with objects. It returns the count and the types, for the analyst
// to check before signing.
function inspect(bytes) {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) throw new Error(t('intel.bom'));
  let b;
  try {
    b = JSON.parse(utf8.decode(bytes));
  } catch (e) {
    throw new Error(t('intel.read_fail', { detail: e.message }));
  }
  if (!b || b.type !== 'bundle' || !Array.isArray(b.objects) || b.objects.length === 0) {
    throw new Error(t('intel.read_fail', { detail: 'type "bundle" with objects' }));
  }
  const types = {};
  for (const o of b.objects) types[o?.type] = (types[o?.type] || 0) + 1;
  const list = Object.keys(types).sort().map((k) => `${k} × ${types[k]}`).join(', ');
  return { count: b.objects.length, types, list };
}

function showPreview(el, bytes) {
  el.classList.remove('bad');
  try {
    const p = inspect(bytes);
    el.textContent = t('intel.preview', { n: p.count, types: p.list });
    el.dataset.count = String(p.count);
    return p;
  } catch (e) {
    el.classList.add('bad');
    el.textContent = e.message;
    delete el.dataset.count;
    throw e;
  }
}

// textFields reads a form's text inputs; a required empty one stops it.
function textFields(form, names) {
  const out = {};
  for (const name of names) {
    const input = form.elements[name];
    if (!input) continue;
    const v = input.value.trim();
    if (input.required && v === '') {
      input.focus();
      throw new Error(t('intel.required'));
    }
    if (v !== '') out[name] = v;
  }
  return out;
}

// ---- submit a file ----

const submitForm = document.querySelector('form[data-submit-intel]');
if (submitForm) {
  const file = submitForm.elements.file;
  const preview = submitForm.querySelector('[data-preview]');
  let bytes = null;
  file.addEventListener('change', async () => {
    bytes = null;
    preview.textContent = '';
    const f = file.files[0];
    if (!f) return;
    const b = new Uint8Array(await f.arrayBuffer());
    try {
      showPreview(preview, b);
      bytes = b;
      const title = submitForm.elements.title;
      if (!title.value) title.value = f.name.replace(/\.json$/i, '');
    } catch { /* the preview says why */ }
  });
  submitForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    formBusy(submitForm, async (status) => {
      if (!bytes) {
        file.focus();
        throw new Error(t('intel.choose_file'));
      }
      const fields = { ...JSON.parse(submitForm.dataset.fields || '{}'), ...textFields(submitForm, ['title', 'note', 'reply_to']) };
      const res = await signAndSubmitSpliced(submitForm.dataset.path, submitForm.dataset.kind, fields, 'bundle', bytes);
      say(status, t('intel.submitted', { n: res.index }));
      // Back to the plain page, where the new submission is listed.
      if (location.search) location.assign('/intel');
      else location.reload();
    });
  });
}

// ---- sign a bundle posted over TAXII ----

// bindStaged readies each staged post's form under root once: its preview
// reads the bytes the server staged, and those bytes, as read, are what is
// signed. A post that arrives while the page is open is bound when the
// live refresh adds it.
function bindStaged(root) {
  for (const form of root.querySelectorAll('form[data-staged-form]')) {
    if (form.dataset.bound) continue;
    form.dataset.bound = '1';
    const preview = form.querySelector('[data-preview]');
    let bytes = null;
    const load = async () => {
      if (bytes) return bytes;
      const r = await fetch(form.dataset.bundle, { credentials: 'same-origin', cache: 'no-store' });
      if (!r.ok) throw new Error(await problemDetail(r));
      const b = new Uint8Array(await r.arrayBuffer());
      showPreview(preview, b);
      bytes = b;
      return b;
    };
    load().catch((e) => { preview.classList.add('bad'); preview.textContent = e.message; });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      formBusy(form, async () => {
        const b = await load();
        const fields = { ...JSON.parse(form.dataset.fields || '{}'), ...textFields(form, ['title']) };
        await signAndSubmitSpliced(form.dataset.path, form.dataset.kind, fields, 'bundle', b);
        location.reload();
      });
    });
  }
}
bindStaged(document);

// mergeStaged brings the staged list up to date without replacing the
// posts already shown, whose title the analyst may be typing: posts signed
// elsewhere leave, new ones (newer than any shown) go on top.
function mergeStaged(el, frag) {
  const list = el.querySelector('section.staged ul');
  const fresh = [...frag.querySelectorAll('li[data-staged]')];
  if (!list || fresh.length === 0) {
    el.replaceChildren(frag);
  } else {
    const want = new Set(fresh.map((li) => li.dataset.staged));
    for (const li of list.querySelectorAll('li[data-staged]')) if (!want.has(li.dataset.staged)) li.remove();
    const shown = new Set([...list.querySelectorAll('li[data-staged]')].map((li) => li.dataset.staged));
    list.prepend(...fresh.filter((li) => !shown.has(li.dataset.staged)));
  }
  const before = Number(el.dataset.count || 0);
  const now = el.querySelectorAll('li[data-staged]').length;
  el.dataset.count = String(now);
  if (now > before) say(document.querySelector('[data-staged-news]'), t('intel.staged_new'));
  bindStaged(el);
}
const stagedList = document.querySelector('[data-staged-list]');
if (stagedList) stagedList.dataset.count = String(stagedList.querySelectorAll('li[data-staged]').length);

// ---- propose ----

function proposalID() {
  const b = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

const propose = document.querySelector('form[data-propose]');
if (propose) {
  const releaseOnly = propose.querySelector('[data-release-only]');
  const decision = () => propose.querySelector('input[name="decision"]:checked')?.value;
  const sync = () => { releaseOnly.hidden = decision() !== 'release'; };
  for (const r of propose.querySelectorAll('input[name="decision"]')) r.addEventListener('change', sync);
  sync();
  const checked = (name) => [...propose.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
  propose.addEventListener('submit', (ev) => {
    ev.preventDefault();
    formBusy(propose, async () => {
      const f = { ...JSON.parse(propose.dataset.fields || '{}'), proposal: proposalID(), decision: decision() };
      const reason = propose.elements.reason.value.trim();
      if (reason) f.reason = reason;
      if (f.decision === 'release') {
        const to = checked('to'), members = checked('members');
        if (to.length) f.to = to;
        if (members.length) f.members = members;
        const recipe = {};
        const types = checked('remove_types'), ids = checked('remove_ids');
        if (types.length) recipe.remove_types = types;
        if (ids.length) recipe.remove_ids = ids;
        const km = Number(propose.elements.location_km.value);
        if (km > 0) recipe.location_km = km;
        if (Object.keys(recipe).length) f.sanitize = recipe;
      } else if (!reason) {
        propose.elements.reason.focus();
        throw new Error(t('intel.reason'));
      }
      await signAndSubmit(propose.dataset.path, propose.dataset.kind, f);
      location.reload();
    });
  });
}

// ---- approve: the restatement the page read ----

const approve = document.querySelector('form[data-approve]');
approve?.addEventListener('submit', (ev) => {
  ev.preventDefault();
  formBusy(approve, async () => {
    await signAndSubmit(approve.dataset.path, approve.dataset.kind, JSON.parse(approve.dataset.payload));
    location.reload();
  });
});

// ---- publish: the draft's exact bytes, once shown ----

const publish = document.querySelector('form[data-publish]');
if (publish) {
  let draft = null;
  const view = publish.querySelector('[data-draft-view]');
  const show = publish.querySelector('[data-load-draft]');
  const loadDraft = async () => {
    const r = await fetch(publish.dataset.draft, { credentials: 'same-origin', cache: 'no-store' });
    if (!r.ok) throw new Error(await problemDetail(r));
    const b = new Uint8Array(await r.arrayBuffer());
    const p = inspect(b);
    publish.querySelector('[data-draft-text]').textContent = JSON.stringify(JSON.parse(utf8.decode(b)), null, 2);
    say(publish.querySelector('[data-draft-summary]'), t('intel.draft_summary', { n: p.count, types: p.list }));
    view.hidden = false;
    draft = b;
  };
  show.addEventListener('click', () => {
    loadDraft().catch((e) => say(publish.querySelector('[data-error]'), e.message));
  });
  publish.addEventListener('submit', (ev) => {
    ev.preventDefault();
    formBusy(publish, async () => {
      if (!draft) {
        show.focus();
        throw new Error(t('intel.draft_first'));
      }
      const fields = { ...JSON.parse(publish.dataset.fields || '{}'), ...textFields(publish, ['title']) };
      await signAndSubmitSpliced(publish.dataset.path, publish.dataset.kind, fields, 'bundle', draft);
      location.reload();
    });
  });
}

// ---- TAXII credentials ----

for (const el of document.querySelectorAll('[data-taxii-url]')) {
  el.textContent = new URL(el.dataset.taxiiUrl, location.origin).href;
}

const taxiiNew = document.getElementById('taxii-new');
const taxiiRevoke = document.getElementById('taxii-revoke');
const taxiiError = document.querySelector('[data-taxii-error]');
const taxiiStatus = document.querySelector('[data-taxii-status]');

async function taxii(method) {
  const r = await fetch('/api/v1/intel/taxii/token', { method, credentials: 'same-origin', headers: { Accept: 'application/json', 'X-CSRF-Token': csrf } });
  if (!r.ok) throw new Error(await problemDetail(r));
  return r.json();
}

async function taxiiAction(button, work) {
  button.disabled = true;
  taxiiError.textContent = '';
  try {
    await work();
  } catch (e) {
    say(taxiiError, e.message);
  } finally {
    button.disabled = false;
  }
}

taxiiNew?.addEventListener('click', () => taxiiAction(taxiiNew, async () => {
  const tok = await taxii('POST');
  for (const input of document.querySelectorAll('[data-taxii-field]')) input.value = tok[input.dataset.taxiiField] ?? '';
  document.getElementById('taxii-shown').hidden = false;
  document.getElementById('taxii-password').focus();
  say(taxiiStatus, t('intel.taxii_made'));
}));

taxiiRevoke?.addEventListener('click', () => taxiiAction(taxiiRevoke, async () => {
  await taxii('DELETE');
  for (const input of document.querySelectorAll('[data-taxii-field]')) input.value = '';
  document.getElementById('taxii-shown').hidden = true;
  say(taxiiStatus, t('intel.taxii_revoked'));
}));

for (const b of document.querySelectorAll('[data-copy]')) {
  b.addEventListener('click', async () => {
    const input = document.getElementById(b.dataset.copy);
    try {
      await navigator.clipboard.writeText(input.value);
    } catch {
      input.select();
      document.execCommand('copy');
    }
    say(taxiiStatus, t('intel.copied'));
  });
}

// ---- maps ----

async function drawPoints(el) {
  if (el.dataset.drawn) return;
  el.dataset.drawn = '1';
  const map = await newMap(el);
  const layers = [];
  for (const p of JSON.parse(el.dataset.points || '[]')) {
    const l = shapeLayer({ geometry: { type: 'Point', coordinates: [p.lon, p.lat] }, radius_m: p.radius_m },
      { color: '#174e9c', fillColor: '#174e9c', fillOpacity: 0.2, weight: 2.5, className: 'intel-point' });
    l.bindTooltip(p.name);
    l.addTo(map);
    layers.push(l);
  }
  const b = boundsOf(layers);
  if (b) map.fitBounds(b.pad(0.8), { maxZoom: 11, animate: false });
  el.dataset.shapes = String(layers.length);
}

function drawMaps() {
  for (const el of document.querySelectorAll('.intel-map')) drawPoints(el).catch((e) => console.error('map:', e));
}
drawMaps();

// ---- live ----

// The queue, the submissions and the released list are read again when the
// desk's traffic arrives, and the staged posts merged (mergeStaged): a post
// a platform makes is an intel.stage entry for its poster's party. The
// other forms are outside them.
const live = document.querySelector('[data-live="intel"]');
const parts = [...document.querySelectorAll('[data-fragment]')];
// stagedDirty: only a post or a signature changes the staged list, whose
// fragment reads each post's bundle, so other traffic leaves it alone.
let stagedDirty = false;
const refresh = debounce(async () => {
  const staged = stagedDirty;
  stagedDirty = false;
  for (const el of parts) {
    if (el === stagedList && !staged) continue;
    const q = new URLSearchParams(location.search);
    q.set('fragment', el.dataset.fragment);
    try {
      const html = await fetchFragment(location.pathname + '?' + q);
      if (html == null) continue;
      if (el === stagedList) mergeStaged(el, parseHTML(html));
      else el.replaceChildren(parseHTML(html));
    } catch (e) {
      console.error('fragment:', e);
    }
  }
  drawMaps();
}, 300);

document.addEventListener('liaison:entry', (ev) => {
  const kind = ev.detail?.kind || '';
  if (!live || !parts.length || !/^intel\./.test(kind)) return;
  if (kind === 'intel.stage' || kind === 'intel.submit') stagedDirty = true;
  refresh();
});
document.addEventListener('liaison:resync', () => {
  if (!parts.length) return;
  stagedDirty = true;
  refresh();
});
