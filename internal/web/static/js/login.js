// Sign-in: a session cookie from the API, then this browser's device key —
// created and registered here on first sign-in — then the page asked for.
import { t, say, crypto, problemDetail, unregisteredKey as unregistered } from '/static/js/page.js';

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
    // A new key is registered where the member signed in: at the cell in
    // their own session; at a party's mirror through the mirror, which
    // vouches for it in its admin's name. A mirror that cannot vouch says
    // why; the browser then keeps no key and reads only, and the pages say
    // so.
    if (c) {
      const state = await c.keyStatus(memberId);
      if (state === 'missing') {
        say(status, t('signin.key'));
        await c.createKey(memberId);
        try {
          await c.registerKey(memberId, answer.cell, keyLabel(), answer.csrf_token);
          sessionStorage.removeItem(unregistered);
        } catch (e) {
          if (form.dataset.mirror === undefined) throw e;
          await c.forgetKey(memberId);
          sessionStorage.setItem(unregistered, e.message);
        }
      } else if (state !== 'ok' && state !== 'pending') {
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
