// Shared by every page: the interface's messages, the signed-in member,
// sign-out, live countdowns and clocks, the event stream, and the helpers
// page scripts use to sign and send. Reads are server-rendered; this only
// keeps them current.

const body = document.body;
const strings = JSON.parse(body.dataset.strings || '{}');

// t renders a catalog message (the js.* keys, without the prefix).
export function t(key, args = {}) {
  let s = strings[key] ?? key;
  for (const [k, v] of Object.entries(args)) s = s.split('{' + k + '}').join(String(v));
  return s;
}

const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content || '';
export const csrf = meta('csrf-token');
export const member = meta('liaison-member');
export const cell = meta('liaison-cell');
export const signedIn = body.hasAttribute('data-signed-in');

// The server's clock, so that a countdown does not depend on this machine's.
const skew = (Date.parse(body.dataset.serverNow) || Date.now()) - Date.now();
export const now = () => Date.now() + skew;

// crypto loads the device-key module only when a page needs it, so that
// reading and live updates work even where signing cannot.
let cryptoModule;
export async function crypto() {
  if (!cryptoModule) {
    cryptoModule = import('/static/js/crypto.js').catch((e) => {
      cryptoModule = undefined;
      throw new Error(t('error.no_crypto') + ' (' + e.message + ')');
    });
  }
  return cryptoModule;
}

// signAndSubmit signs a command with this browser's device key and posts
// it; it throws an Error carrying the problem's detail.
export async function signAndSubmit(path, kind, fields) {
  const c = await crypto();
  const env = await c.sign(member, cell, kind, fields);
  return c.submit(path, env, csrf);
}

// problemDetail reads an error answer: an RFC 9457 problem's detail, or
// the status line.
export async function problemDetail(r) {
  try {
    const p = await r.json();
    return p.detail || p.title || r.statusText;
  } catch {
    return r.status + ' ' + r.statusText;
  }
}

// say writes a message into a live region (role=alert or role=status).
export function say(el, text) {
  if (!el) return;
  el.textContent = '';
  // A fresh text node after clearing is announced even when the text repeats.
  requestAnimationFrame(() => { el.textContent = text; });
}

const liveStatus = document.getElementById('live-status');
const pageAlert = document.getElementById('page-alert');

export function alertPage(text) { say(pageAlert, text); }

// Session: a page script that finds the session gone says so and links to sign-in.
let ended = false;
export function sessionEnded() {
  if (ended) return;
  ended = true;
  liveStatus.textContent = '';
  const a = document.createElement('a');
  a.href = '/login?next=' + encodeURIComponent(location.pathname + location.search);
  a.textContent = t('session.ended');
  liveStatus.appendChild(a);
}

// fetchFragment gets a server-rendered part of the current page.
export async function fetchFragment(url) {
  const r = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' }, cache: 'no-store' });
  if (r.status === 401) {
    sessionEnded();
    return null;
  }
  if (!r.ok) throw new Error(r.status + ' ' + r.statusText);
  return r.text();
}

// parseHTML turns server-rendered markup into nodes without running anything.
export function parseHTML(html) {
  const tpl = document.createElement('template');
  tpl.innerHTML = html;
  return tpl.content;
}

// debounce merges a burst of events into one call.
export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

// Sign out.
document.getElementById('sign-out')?.addEventListener('click', async () => {
  try {
    await fetch('/api/v1/auth/logout', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf } });
  } finally {
    location.assign('/login');
  }
});

// Countdowns and clocks tick every second.
function clockText(s) {
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return (h > 0 ? h + ':' : '') + mm + ':' + String(sec).padStart(2, '0');
}

const zoneFormats = new Map();
function zoneFormat(zone) {
  if (!zoneFormats.has(zone)) {
    try {
      zoneFormats.set(zone, new Intl.DateTimeFormat('en-GB', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'shortOffset' }));
    } catch {
      zoneFormats.set(zone, null);
    }
  }
  return zoneFormats.get(zone);
}

function tick() {
  const at = now();
  for (const el of document.querySelectorAll('time.countdown[data-deadline]')) {
    const due = Date.parse(el.dataset.deadline);
    if (Number.isNaN(due)) continue;
    const left = Math.round((due - at) / 1000);
    const text = left >= 0 ? t('countdown.left', { t: clockText(left) }) : t('countdown.overdue', { t: clockText(-left) });
    if (el.textContent !== text) el.textContent = text;
    el.classList.toggle('over', left < 0);
  }
  for (const el of document.querySelectorAll('time.clock[data-zone]')) {
    const f = zoneFormat(el.dataset.zone);
    if (!f) continue;
    const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
    // The server's own format, so a live refresh of the page does not
    // switch the clocks between two: UTC with its date, a zone with its
    // offset.
    const date = `${parts.year}-${parts.month}-${parts.day}`;
    let text;
    if (el.dataset.zone === 'UTC') {
      text = `${date} ${parts.hour}:${parts.minute} UTC`;
    } else {
      let off = (parts.timeZoneName || '').replace('GMT', 'UTC');
      if (off === 'UTC') off = 'UTC+0';
      const utcDate = new Date(at).toISOString().slice(0, 10);
      text = `${date === utcDate ? '' : date + ' '}${parts.hour}:${parts.minute} ${off}`;
    }
    if (el.textContent !== text) el.textContent = text;
  }
}
tick();
setInterval(tick, 1000);

// The live stream: every entry this member may read arrives as an
// "entry" event; pages listen for "liaison:entry" on document. EventSource
// reconnects by itself and resumes with Last-Event-ID; when it gives up
// (an error status), we reconnect from the last index seen. After any
// loss, pages re-read their fragments ("liaison:resync"), so nothing
// missed while away stays missing.
let source;
let lastId = '';
let lost = false;
let backoff = 1000;

function connect() {
  if (!signedIn || ended) return;
  source = new EventSource('/api/v1/stream' + (lastId ? '?after=' + encodeURIComponent(lastId) : ''));
  source.addEventListener('open', () => {
    backoff = 1000;
    if (lost) {
      lost = false;
      say(liveStatus, t('conn.back'));
      setTimeout(() => { if (!lost && !ended) liveStatus.textContent = ''; }, 4000);
      document.dispatchEvent(new CustomEvent('liaison:resync'));
    }
  });
  source.addEventListener('entry', (ev) => {
    lastId = ev.lastEventId || lastId;
    let entry;
    try { entry = JSON.parse(ev.data); } catch { return; }
    document.dispatchEvent(new CustomEvent('liaison:entry', { detail: entry }));
  });
  source.addEventListener('error', async () => {
    if (!lost) {
      lost = true;
      say(liveStatus, t('conn.lost'));
    }
    if (source.readyState === EventSource.CLOSED) {
      source.close();
      // Closed for good: an error status. Is the session over?
      try {
        const r = await fetch('/api/v1/me', { credentials: 'same-origin', cache: 'no-store' });
        if (r.status === 401) {
          sessionEnded();
          return;
        }
      } catch { /* the network is down: keep trying */ }
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 30000);
    }
  });
}

// A browser whose device key was revoked, or is unknown to the cell, is
// sent to the device page, which says so and offers a new key; one with
// no key is told where to make one.
async function checkKey() {
  if (!signedIn || location.pathname === '/device') return;
  let status;
  try {
    status = await (await crypto()).keyStatus(member);
  } catch {
    return; // no signing here; reading still works
  }
  if (status === 'revoked' || status === 'unknown') {
    location.assign('/device');
  } else if (status === 'missing') {
    const a = document.createElement('a');
    a.href = '/device';
    a.textContent = t('device.missing');
    pageAlert.textContent = '';
    pageAlert.appendChild(a);
  }
}

if (signedIn) {
  connect();
  checkKey();
  window.addEventListener('pagehide', () => source?.close());
}
