// A first sign-in page over the JSON API; the duty officer's screen replaces it.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  let csrf = sessionStorage.getItem('csrf') || '';
  async function api(method, path, body) {
    const headers = { 'Accept': 'application/json' };
    if (body) headers['Content-Type'] = 'application/json';
    if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
    const r = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined, credentials: 'same-origin' });
    const text = await r.text();
    const data = text ? JSON.parse(text) : null;
    if (!r.ok) throw new Error((data && (data.detail || data.title)) || r.statusText);
    return data;
  }
  async function show() {
    try {
      const me = await api('GET', '/api/v1/me');
      $('login').hidden = true;
      $('me').hidden = false;
      $('who').textContent = me.member.name + ' (' + me.member.id + '), ' + me.party.name + ', roles: ' + me.member.roles.join(', ');
      const list = await api('GET', '/api/v1/entries?limit=50');
      const ol = $('entries');
      ol.textContent = '';
      for (const e of list.entries) {
        const li = document.createElement('li');
        li.value = e.index;
        li.textContent = e.time + ' ' + e.kind + ' by ' + (e.member || 'server');
        ol.appendChild(li);
      }
    } catch (e) {
      $('login').hidden = false;
      $('me').hidden = true;
    }
  }
  $('login').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('status').textContent = 'Signing in…';
    try {
      const r = await api('POST', '/api/v1/auth/login', { username: $('username').value, password: $('password').value, session: true });
      csrf = r.csrf_token;
      sessionStorage.setItem('csrf', csrf);
      $('status').textContent = '';
      await show();
    } catch (e) {
      $('status').textContent = e.message;
    }
  });
  $('logout').addEventListener('click', async () => {
    try { await api('POST', '/api/v1/auth/logout'); } catch (e) { /* already out */ }
    sessionStorage.removeItem('csrf');
    await show();
  });
  show();
})();
