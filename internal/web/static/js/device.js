// The device page: says plainly whether this browser holds a usable device
// key, and makes a new one on request.
import { t, say, crypto, member, cell, csrf, unregisteredKey } from '/static/js/page.js';

const state = document.getElementById('device-state');
const keyLine = document.getElementById('device-key');
const create = document.getElementById('device-create');
const error = document.querySelector('#device [data-error]');
const cont = document.getElementById('device-continue');

async function show() {
  let c;
  try {
    c = await crypto();
  } catch (e) {
    say(state, e.message);
    create.disabled = true;
    return;
  }
  const status = await c.keyStatus(member);
  say(state, t('device.' + status));
  const key = await c.loadKey(member);
  keyLine.textContent = key ? key.keyId : '';
  cont.hidden = status !== 'ok' && status !== 'pending';
}

create.addEventListener('click', async () => {
  create.disabled = true;
  error.textContent = '';
  say(state, t('device.creating'));
  try {
    const c = await crypto();
    await c.forgetKey(member);
    await c.createKey(member);
    await c.registerKey(member, cell, `web browser, ${new Date().toISOString().slice(0, 10)}`, csrf);
    sessionStorage.removeItem(unregisteredKey);
    await show();
    const status = await c.keyStatus(member);
    say(state, t('device.created') + ' ' + t('device.' + status));
    cont.hidden = false;
    cont.focus();
  } catch (e) {
    say(error, e.message);
    await show().catch(() => {});
  } finally {
    create.disabled = false;
  }
});

show().catch((e) => say(error, e.message));
