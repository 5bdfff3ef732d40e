// Sign-in: a session cookie from the API, then this browser's device key —
// created and registered here on first sign-in — then the page asked for.
import { t, say, crypto, problemDetail } from '/static/js/page.js';

const form = document.getElementById('login-form');
const error = form.querySelector('[data-error]');
const status = form.querySelector('[data-status]');

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const username = form.username.value.trim();
  const password = form.password.value;
  if (!username || !password) {
    (username ? form.password : form.username).focus();
    return;
  }
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  error.textContent = '';
  say(status, t('signin.working'));
  try {
    const r = await fetch('/api/v1/auth/login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ username, password, session: true }),
    });
    if (!r.ok) throw new Error(await problemDetail(r));
    const answer = await r.json();
    const memberId = answer.member.id;
    let next = form.dataset.next || '/dashboard';
    let c = null;
    try {
      c = await crypto();
    } catch {
      // No signing in this browser: the pages still read, and the device
      // page explains.
    }
    // At a party's mirror a new key cannot be registered: the cell
    // registers device keys itself, and the mirror reads without one.
    // A key this browser already holds for the member is used as it is.
    if (c && form.dataset.mirror === undefined) {
      const state = await c.keyStatus(memberId);
      if (state === 'missing') {
        say(status, t('signin.key'));
        await c.createKey(memberId);
        await c.registerKey(memberId, answer.cell, keyLabel(), answer.csrf_token);
      } else if (state !== 'ok') {
        next = '/device';
      }
    }
    location.assign(next);
  } catch (e) {
    status.textContent = '';
    say(error, e.message);
    button.disabled = false;
    form.password.select();
  }
});

function keyLabel() {
  const ua = navigator.userAgentData?.platform || navigator.platform || 'browser';
  return `web browser (${ua}), ${new Date().toISOString().slice(0, 10)}`;
}
