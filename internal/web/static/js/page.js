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

// tIso renders a catalog message as nodes, each argument isolated in a
// <bdi> (those named in ltr laid out left to right), so that a time, a
// hash or a name keeps its own order in a sentence of the other
// direction: an Arabic line does not move a root hash's "=" to its start.
export function tIso(key, args = {}, ltr = []) {
  const out = document.createDocumentFragment();
  const s = strings[key] ?? key;
  const re = /\{([a-z_]+)\}/g;
  let last = 0;
  for (let m; (m = re.exec(s));) {
    if (!(m[1] in args)) continue;
    out.append(s.slice(last, m.index));
    const b = document.createElement('bdi');
    if (ltr.includes(m[1])) b.dir = 'ltr';
    b.textContent = String(args[m[1]]);
    out.append(b);
    last = re.lastIndex;
  }
  out.append(s.slice(last));
  return out;
}

const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content || '';
export const csrf = meta('csrf-token');
// unregisteredKey holds, for this tab, why a party's mirror registered no
// device key at sign-in (login.js writes it, the pages say it).
export const unregisteredKey = 'liaison.mirror.unregistered';
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
// it (or PUTs it, for a command that replaces what path names); it throws
// an Error carrying the problem's detail.
export async function signAndSubmit(path, kind, fields, method = 'POST') {
  const c = await crypto();
  const env = await c.sign(member, cell, kind, fields);
  return relayed(await c.submit(path, env, csrf, method));
}

// relayed reads a party's mirror's answer to a write it took for the cell
// (202): landed, with the cell's entry index, as any answer; or waiting
// in the mirror's outbox for the line (queued), with no entry yet, which
// the page says at once and the mirror's banner lists.
// A refused write in the mirror's banner is dismissed once its member has
// read the cell's reason: the banner then says only what still matters.
document.querySelector('section.mirror')?.addEventListener('click', async (ev) => {
  const b = ev.target.closest('button[data-dismiss]');
  if (!b) return;
  b.disabled = true;
  try {
    const r = await fetch('/api/v1/mirror/outbox/' + encodeURIComponent(b.dataset.dismiss) + '/dismiss', {
      method: 'POST', credentials: 'same-origin', headers: { Accept: 'application/json', 'X-CSRF-Token': csrf },
    });
    if (!r.ok) throw new Error(await problemDetail(r));
    location.reload();
  } catch (e) {
    b.disabled = false;
    say(pageAlert, e.message);
  }
});

function relayed(answer) {
  if (!answer || answer.entry || typeof answer.landed !== 'boolean') return answer;
  if (answer.landed) return { ...answer, entry: { index: answer.index } };
  say(pageAlert, t('mirror.queued_write', { detail: answer.detail || '' }));
  return { ...answer, entry: null, queued: true };
}

// signAndSubmitSpliced is signAndSubmit with one field's exact JSON bytes
// spliced into the payload (crypto.js signSpliced).
export async function signAndSubmitSpliced(path, kind, fields, name, raw) {
  const c = await crypto();
  const env = await c.signSpliced(member, cell, kind, fields, name, raw);
  return relayed(await c.submit(path, env, csrf));
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

// say writes a message (text, or nodes from tIso) into a live region
// (role=alert or role=status).
export function say(el, text) {
  if (!el) return;
  el.textContent = '';
  // A fresh text node after clearing is announced even when the text repeats.
  requestAnimationFrame(() => { el.replaceChildren(text); });
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
    const args = { t: clockText(Math.abs(left)) };
    // The time isolated, as the server renders it.
    const text = left >= 0 ? tIso('countdown.left', args, ['t']) : tIso('countdown.overdue', args, ['t']);
    if (el.textContent !== text.textContent) el.replaceChildren(text);
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
  const refused = sessionStorage.getItem(unregisteredKey);
  if (status === 'revoked' || status === 'unknown') {
    location.assign('/device');
  } else if (status === 'missing' && refused && document.querySelector('section.mirror')) {
    // The party's mirror could not vouch for a key here, and said why.
    say(pageAlert, t('device.mirror', { reason: refused }));
  } else if (status === 'missing') {
    const a = document.createElement('a');
    a.href = '/device';
    a.textContent = t('device.missing');
    pageAlert.textContent = '';
    pageAlert.appendChild(a);
  }
}

// ---- urgent traffic ----
// A FLASH or IMMEDIATE for our party must not go unnoticed on any page:
// every page carries a banner of what we owe (GET /urgent), the tab's
// title counts it, a new one sounds a tone and is announced, and a tab in
// the background raises a desktop notification where the member allowed
// them. The banner is re-read from the server; the stream only says when.
const party = meta('liaison-party');
const mediator = meta('liaison-mediator') === 'yes';
const urgentSlot = document.getElementById('urgent');
const announceUrgent = document.getElementById('announce-urgent');
// What sticks below the banner (the map) reads its height from --urgent-h,
// or the banner, stuck to the top of the window, would cover it.
if (urgentSlot && 'ResizeObserver' in window) {
  new ResizeObserver(() => {
    document.documentElement.style.setProperty('--urgent-h', `${urgentSlot.getBoundingClientRect().height}px`);
  }).observe(urgentSlot);
}
const baseTitle = document.title;

// Readbacks of messages heard on the stream, by "message/party", with the
// index of their entry: the banner's next read tells which are ours to
// judge, and those sound as urgent traffic does.
const heardReadbacks = new Map();

async function refreshUrgent() {
  if (!urgentSlot || ended) return;
  // Readbacks heard from now on may be missing from this read: the next
  // one (an entry brings it) looks for them.
  const asking = new Map(heardReadbacks);
  let html;
  try {
    html = await fetchFragment('/urgent?fragment=urgent');
  } catch {
    return; // the next event or resync tries again
  }
  if (html === null) return;
  const frag = parseHTML(html);
  const section = frag.querySelector('[data-urgent-count]');
  const n = Number(section?.dataset.urgentCount || 0) + Number(section?.dataset.readbackCount || 0) + Number(section?.dataset.gateCount || 0);
  for (const [key, index] of asking) {
    heardReadbacks.delete(key);
    const li = frag.querySelector(`li[data-readback="${CSS.escape(key)}"]`);
    if (li) alertUrgent({ prec: li.dataset.precedence, text: li.dataset.alert, message: Number(li.dataset.messageId) }, index);
  }
  // A conversation pins what we owe in it above its messages: the banner
  // there counts it and lists the rest.
  const here = document.querySelector('#channel[data-channel]')?.dataset.channel;
  if (here) for (const li of frag.querySelectorAll(`.urgent-items li[data-channel="${CSS.escape(here)}"]`)) li.hidden = true;
  setUrgentOpen(frag.querySelector('.urgent'), urgentOpen);
  // The watch screen lists all of it in its first panels: no banner there.
  urgentSlot.replaceChildren(location.pathname === '/dashboard' ? '' : frag);
  urgentSlot.removeAttribute('aria-busy');
  document.title = n ? `(${n}) ${baseTitle}` : baseTitle;
  tick();
}
const refreshUrgentSoon = debounce(refreshUrgent, 150);

// On a phone the banner shows its heads alone until the officer opens it;
// it stays open, or closed, from page to page of the tab.
let urgentOpen = (() => { try { return sessionStorage.getItem('liaison.urgent-open') === 'yes'; } catch { return false; } })();
function setUrgentOpen(section, open) {
  const button = section?.querySelector('.urgent-toggle');
  if (!button) return;
  section.classList.toggle('open', open);
  button.setAttribute('aria-expanded', String(open));
  button.textContent = open ? button.dataset.hide : button.dataset.show;
}
urgentSlot?.addEventListener('click', (ev) => {
  if (!ev.target.closest('.urgent-toggle')) return;
  urgentOpen = !urgentOpen;
  try { sessionStorage.setItem('liaison.urgent-open', urgentOpen ? 'yes' : 'no'); } catch { /* this page only */ }
  setUrgentOpen(urgentSlot.querySelector('.urgent'), urgentOpen);
});

// urgentArrival says whether an entry is urgent news for this member: a
// FLASH or IMMEDIATE sent to our party by another, or an escalation of
// what our party owes (for the mediator, of what anyone owes).
function urgentArrival(e) {
  const p = e.payload || {};
  const aud = e.audience || [];
  if (e.kind === 'message.send' && (p.precedence === 'FLASH' || p.precedence === 'IMMEDIATE') &&
      e.party !== party && (aud.includes(party) || aud.includes('*'))) {
    return { prec: p.precedence, text: t('alert.message', { prec: p.precedence, subject: p.subject || '' }), message: e.index };
  }
  if (e.kind === 'message.escalate' && (p.party === party || mediator)) {
    return { prec: 'FLASH', text: t('alert.escalation', { id: p.message }), message: p.message };
  }
  return null;
}

// The member's alert settings live in this browser; a browser that keeps
// no storage (a locked-down profile) gets the defaults, and every alert.
const memory = new Map(); // where there is no storage: this page only
function stored(key) {
  try { return localStorage.getItem(key); } catch { return memory.get(key) ?? null; }
}
function store(key, value) {
  try { localStorage.setItem(key, value); } catch { memory.set(key, value); }
}

export const soundOn = () => stored('liaison.sound') !== 'off';

let audio;
function chime(prec) {
  if (!soundOn()) return;
  try {
    audio ??= new AudioContext();
    if (audio.state === 'suspended') audio.resume();
    const beeps = prec === 'FLASH' ? 3 : 2;
    const t0 = audio.currentTime + 0.05;
    for (let i = 0; i < beeps; i++) {
      const o = audio.createOscillator();
      const g = audio.createGain();
      o.type = 'square';
      o.frequency.value = prec === 'FLASH' ? 880 : 660;
      const at = t0 + i * 0.3;
      g.gain.setValueAtTime(0.0001, at);
      g.gain.exponentialRampToValueAtTime(0.2, at + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, at + 0.2);
      o.connect(g).connect(audio.destination);
      o.start(at);
      o.stop(at + 0.22);
    }
  } catch { /* no sound in this browser: the banner still shows */ }
}

function notifyDesktop(a) {
  if (!document.hidden || !('Notification' in window) || Notification.permission !== 'granted') return;
  const n = new Notification(a.text, { tag: 'liaison-' + a.message, requireInteraction: a.prec === 'FLASH' });
  n.onclick = () => {
    window.focus();
    location.assign('/messages/' + a.message);
    n.close();
  };
}

// Several tabs of one member hear the same entry: one of them sounds it.
function firstToHear(index) {
  const key = 'liaison.heard';
  if (stored(key) === String(index)) return false;
  store(key, String(index));
  return true;
}

// alertUrgent announces an arrival, and in one tab of the member's sounds
// it and raises a notification.
function alertUrgent(a, index) {
  say(announceUrgent, a.text);
  if (firstToHear(index)) {
    chime(a.prec);
    notifyDesktop(a);
  }
}

document.addEventListener('liaison:entry', (ev) => {
  const e = ev.detail || {};
  // What the banner lists changes with the hotline's traffic, and with a
  // gate alert or what clears it (a milestone, a stage, an incident's
  // finding, a commitment's step, the posture).
  if (/^(message|project|incident|commitment|posture)\./.test(e.kind || '')) refreshUrgentSoon();
  if (e.kind === 'message.ack' && e.payload?.readback && e.party !== party) {
    heardReadbacks.set(`${e.payload.message}/${e.party}`, e.index);
  }
  const a = urgentArrival(e);
  if (a) alertUrgent(a, e.index);
});
document.addEventListener('liaison:resync', refreshUrgentSoon);

// The alert settings, on the watch screen.
const soundToggle = document.getElementById('sound-toggle');
if (soundToggle) {
  soundToggle.setAttribute('aria-pressed', String(soundOn()));
  soundToggle.addEventListener('click', () => {
    store('liaison.sound', soundOn() ? 'off' : 'on');
    soundToggle.setAttribute('aria-pressed', String(soundOn()));
    if (soundOn()) chime('IMMEDIATE'); // so the officer hears what it sounds like
  });
}
const notifyButton = document.getElementById('notify-enable');
if (notifyButton && 'Notification' in window && Notification.permission === 'default') {
  notifyButton.hidden = false;
  notifyButton.addEventListener('click', async () => {
    const status = document.getElementById('alert-settings-status');
    const answer = await Notification.requestPermission();
    notifyButton.hidden = answer !== 'default';
    say(status, answer === 'granted' ? t('alert.notify_on') : answer === 'denied' ? t('alert.notify_denied') : '');
  });
}

if (signedIn) {
  connect();
  checkKey();
  refreshUrgent();
  window.addEventListener('pagehide', () => source?.close());
}
