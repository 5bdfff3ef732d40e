// The diplomatic desk's pages: each form signs its command with this
// browser's device key (the kind, the API path and the fields the page
// fixes are in its data- attributes; the form adds its inputs), a
// statement is signed only after this browser has recomputed the hash of
// every text it binds, the calendar feed's address is made and revoked,
// and the live parts are read again from the server when the stream says
// the desk changed.
import { t, say, signAndSubmit, csrf, fetchFragment, parseHTML, debounce, problemDetail } from '/static/js/page.js';
import { formBusy, fromLocalUTC } from '/static/js/deskkit.js';

// value reads one input as the command carries it: data-as says how.
function read(input) {
  const v = input.value;
  switch (input.dataset.as) {
    case 'bool': return v === 'true';
    case 'article': {
      if (v === '') return '';
      const [agreement, article] = v.split(/:(.*)/s);
      return { agreement, article };
    }
    case 'cite': {
      const [kind, id] = v.split(':');
      return { kind, id: Number(id) };
    }
    case 'int': return v.trim() === '' ? '' : Number(v);
    // A datetime-local the form labels as UTC, whatever this browser's zone.
    case 'utc': {
      const ms = fromLocalUTC(v);
      return Number.isNaN(ms) ? '' : new Date(ms).toISOString();
    }
    case 'lines': {
      const ls = v.split('\n').map((l) => l.trim()).filter((l) => l !== '');
      return ls.length ? ls : '';
    }
    default: return v.trim();
  }
}

// setPath puts a value at a dotted name ("statement.title"), into the
// objects already there: the page's fixed fields and the form's inputs
// make one payload.
function setPath(obj, name, v) {
  const keys = name.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = (o[k] ??= {});
  o[keys.at(-1)] = v;
}

function getPath(obj, name) {
  return name.split('.').reduce((o, k) => o?.[k], obj);
}

// off says whether an input sits in a part of the form its checkbox has
// left out (data-if names the checkbox): what it holds is not sent.
function off(form, el) {
  const group = el.closest('[data-if]');
  return group !== null && form.contains(group) && !document.getElementById(group.dataset.if)?.checked;
}

function required(input) {
  input.focus();
  throw new Error(t('dip.required'));
}

// listOf reads a repeated part (paragraphs, articles, phases): each
// [data-item] is an object of its [data-key] inputs; an item left wholly
// empty is not sent, one half filled in must be completed.
function listOf(list) {
  const out = [];
  for (const item of list.querySelectorAll(':scope > [data-item]')) {
    const obj = {};
    let any = false;
    const inputs = [...item.querySelectorAll('[data-key]')];
    for (const input of inputs) {
      const v = read(input);
      if (v !== '') {
        setPath(obj, input.dataset.key, v);
        any = true;
      }
    }
    if (!any) continue;
    for (const input of inputs) if (input.required && read(input) === '') required(input);
    out.push(obj);
  }
  return out;
}

// fieldsOf merges the page's fixed fields with the form's inputs: a group
// of checkboxes is a list, a radio group its checked value, an empty
// optional text is left out, a dotted name is nested.
function fieldsOf(form) {
  const flat = {};
  const lists = new Set();
  for (const input of form.querySelectorAll('input[name], textarea[name], select[name]')) {
    if (off(form, input) || input.type === 'file') continue;
    const name = input.name;
    if (input.type === 'checkbox') {
      lists.add(name);
      flat[name] ??= [];
      if (input.checked) flat[name].push(read(input));
      continue;
    }
    if (input.type === 'radio' && !input.checked) continue;
    if (input.dataset.as === 'paragraph') {
      // A comment's place: "LANG:INDEX".
      const [lang, paragraph] = input.value.split(':');
      flat.lang = lang;
      flat.paragraph = Number(paragraph);
      continue;
    }
    const v = read(input);
    if (input.required && v === '') required(input);
    if (v !== '') flat[name] = v;
  }
  for (const group of form.querySelectorAll('[data-required-group]')) {
    if (!off(form, group) && !group.querySelector('input:checked')) {
      group.querySelector('input')?.focus();
      throw new Error(t('dip.choose'));
    }
  }
  for (const name of lists) if (flat[name].length === 0) delete flat[name];
  const fields = JSON.parse(form.dataset.fields || '{}');
  for (const [name, v] of Object.entries(flat)) setPath(fields, name, v);
  for (const list of form.querySelectorAll('[data-list]')) {
    if (off(form, list)) continue;
    const items = listOf(list);
    if (items.length) setPath(fields, list.dataset.list, items);
    else if (list.hasAttribute('data-list-required')) {
      list.querySelector('[data-key]')?.focus();
      throw new Error(t('dip.required'));
    }
  }
  return fields;
}

// upload sends each file chosen as evidence to the blob store first: the
// command then names the blobs by hash, as a message's attachments do.
async function upload(form, fields, status) {
  for (const input of form.querySelectorAll('input[type="file"][data-attach]')) {
    const out = [];
    for (const file of input.files) {
      say(status, t('uploading', { name: file.name }));
      const r = await fetch('/api/v1/blobs', {
        method: 'POST', credentials: 'same-origin', body: file,
        headers: { 'Content-Type': 'application/octet-stream', 'X-CSRF-Token': csrf },
      });
      if (!r.ok) throw new Error(file.name + ': ' + await problemDetail(r));
      const blob = await r.json();
      out.push({ sha256: blob.sha256, name: file.name, size: file.size, type: file.type || 'application/octet-stream' });
    }
    if (out.length) setPath(fields, input.dataset.attach, out);
  }
}

for (const form of document.querySelectorAll('form.dip-form')) {
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    formBusy(form, async (status) => {
      const fields = fieldsOf(form);
      await upload(form, fields, status);
      say(status, t('sending'));
      const res = await signAndSubmit(form.dataset.path, form.dataset.kind, fields);
      const then = form.dataset.then;
      if (then) {
        const id = form.dataset.thenField ? getPath(fields, form.dataset.thenField) : res?.dispute?.id ?? res?.entry?.index;
        const url = new URL(then.replace('{id}', encodeURIComponent(String(id))), location.href);
        // The same page again (an amendment, shown at its diff) is reloaded:
        // a change of the fragment alone would not read it again.
        if (url.pathname === location.pathname && url.search === location.search) {
          location.hash = url.hash;
          location.reload();
        } else {
          location.assign(url);
        }
      } else {
        location.reload();
      }
    });
  });
}

// ---- repeated parts: add and remove paragraphs, articles, phases ----

// renumber keeps each item's visible number (part of its inputs' labels)
// in order after an item comes or goes.
function renumber(list) {
  [...list.querySelectorAll('[data-item]')].forEach((item, i) => {
    for (const n of item.querySelectorAll('[data-n]')) n.textContent = String(i + 1);
  });
}

document.addEventListener('click', (ev) => {
  const add = ev.target.closest('button[data-add]');
  if (add) {
    const list = document.getElementById(add.dataset.add);
    const tpl = document.getElementById(add.dataset.template);
    const item = tpl.content.firstElementChild.cloneNode(true);
    list.append(item);
    renumber(list);
    item.querySelector('[data-key]')?.focus();
    return;
  }
  const remove = ev.target.closest('button[data-remove]');
  if (remove) {
    const item = remove.closest('[data-item]');
    const list = item.parentElement;
    const next = item.nextElementSibling ?? item.previousElementSibling;
    item.remove();
    renumber(list);
    (next?.querySelector('[data-key]') ?? list.closest('fieldset')?.querySelector('button[data-add]'))?.focus();
  }
});

// ---- statements: sign the exact version ----

async function sha256Hex(text) {
  const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// textsMatch checks, language by language, that the exact text the page
// says is signed hashes to the hash the signature will carry, and that
// it is the text the page shows: what the officer read is what the
// party signs.
async function textsMatch(hashes) {
  for (const [lang, hash] of Object.entries(hashes)) {
    const pre = document.querySelector(`pre[data-text-json][data-lang="${CSS.escape(lang)}"]`);
    if (!pre || await sha256Hex(pre.textContent) !== hash) return false;
    const shown = [...document.querySelectorAll(`[data-version-text][data-lang="${CSS.escape(lang)}"] [data-para]`)].map((p) => p.textContent);
    const signed = JSON.parse(pre.textContent).map((p) => p.text);
    if (shown.length !== signed.length || shown.some((s, i) => s !== signed[i])) return false;
  }
  return true;
}

const sign = document.querySelector('form[data-sign-statement]');
if (sign) {
  const payload = JSON.parse(sign.dataset.payload);
  const check = sign.querySelector('[data-hash-check]');
  const ok = textsMatch(payload.hashes);
  ok.then((good) => {
    check.textContent = good ? t('dip.hash_ok') : t('dip.hash_bad');
    check.classList.toggle('bad', !good);
    if (!good) sign.querySelector('button[type="submit"]').disabled = true;
  });
  sign.addEventListener('submit', (ev) => {
    ev.preventDefault();
    formBusy(sign, async () => {
      if (!await ok) throw new Error(t('dip.hash_bad'));
      await signAndSubmit(sign.dataset.path, sign.dataset.kind, payload);
      location.reload();
    });
  });
}

const publish = document.querySelector('form[data-publish-statement]');
publish?.addEventListener('submit', (ev) => {
  ev.preventDefault();
  formBusy(publish, async () => {
    const payload = JSON.parse(publish.dataset.payload);
    if (!await textsMatch(payload.hashes)) throw new Error(t('dip.hash_bad'));
    await signAndSubmit(publish.dataset.path, publish.dataset.kind, payload);
    location.reload();
  });
});

// ---- the calendar feed ----

const feedNew = document.getElementById('feed-new');
const feedRevoke = document.getElementById('feed-revoke');
const feedError = document.querySelector('[data-feed-error]');
const feedStatus = document.querySelector('[data-feed-status]');

async function feed(method) {
  const r = await fetch('/api/v1/calendar/token', { method, credentials: 'same-origin', headers: { Accept: 'application/json', 'X-CSRF-Token': csrf } });
  let answer = null;
  try { answer = await r.json(); } catch { /* no body */ }
  if (!r.ok) throw new Error((answer && (answer.detail || answer.title)) || `${r.status} ${r.statusText}`);
  return answer;
}

async function feedAction(button, work) {
  button.disabled = true;
  feedError.textContent = '';
  try {
    await work();
  } catch (e) {
    say(feedError, e.message);
  } finally {
    button.disabled = false;
  }
}

feedNew?.addEventListener('click', () => feedAction(feedNew, async () => {
  const tok = await feed('POST');
  const url = new URL(tok.path || tok.url, location.origin).href;
  document.getElementById('feed-url').value = tok.url || url;
  document.getElementById('feed-shown').hidden = false;
  document.getElementById('feed-url').select();
  say(feedStatus, t('dip.feed_made'));
}));

feedRevoke?.addEventListener('click', () => feedAction(feedRevoke, async () => {
  await feed('DELETE');
  document.getElementById('feed-url').value = '';
  document.getElementById('feed-shown').hidden = true;
  say(feedStatus, t('dip.feed_revoked'));
}));

document.getElementById('feed-copy')?.addEventListener('click', async () => {
  const input = document.getElementById('feed-url');
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    input.select();
    document.execCommand('copy');
  }
  say(feedStatus, t('dip.copied'));
});

// ---- live ----

// The register, a dispute's lifecycle, the timeline and a statement's
// signatures are read again when the desk's traffic arrives; the forms
// are outside them, so nothing half-written is swapped away.
const live = document.querySelector('[data-live]');
const parts = [...document.querySelectorAll('[data-fragment]')];
const refresh = debounce(async () => {
  for (const el of parts) {
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

const kinds = { dispute: /^dispute\./, commitment: /^(commitment|phase)\./, statement: /^statement\./ };
document.addEventListener('liaison:entry', (ev) => {
  const kind = ev.detail?.kind || '';
  if (live && kinds[live.dataset.live]?.test(kind)) refresh();
});
document.addEventListener('liaison:resync', () => { if (parts.length) refresh(); });
