// The diplomatic desk's pages: each form signs its command with this
// browser's device key (the kind, the API path and the fields the page
// fixes are in its data- attributes; the form adds its inputs), a
// statement is signed only after this browser has recomputed the hash of
// every text it binds, the calendar feed's address is made and revoked,
// and the live parts are read again from the server when the stream says
// the desk changed.
import { t, say, signAndSubmit, csrf, fetchFragment, parseHTML, debounce } from '/static/js/page.js';
import { formBusy } from '/static/js/deskkit.js';
import { fieldsOf, upload, getPath, editLists } from '/static/js/forms.js';

for (const form of document.querySelectorAll('form.dip-form')) {
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    formBusy(form, async (status) => {
      const fields = fieldsOf(form);
      await upload(form, fields, status);
      say(status, t('sending'));
      const res = await signAndSubmit(form.dataset.path, form.dataset.kind, fields);
      const then = form.dataset.then;
      // A write queued at a party's mirror has no page yet.
      if (then && !res?.queued) {
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

editLists();

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
