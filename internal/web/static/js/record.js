// The record page's Verify: the browser itself checks the entry's leaf
// hash, its inclusion proof and the cell's signed checkpoint.
import { t, tIso, say, crypto } from '/static/js/page.js';

const root = document.getElementById('record');
const button = document.getElementById('verify');
const result = document.getElementById('verify-result');

button.addEventListener('click', async () => {
  button.disabled = true;
  result.className = 'verify-result';
  say(result, t('verify.running'));
  let text, ok = false;
  try {
    const c = await crypto();
    const r = await c.verifyEntry(Number(root.dataset.index));
    ok = !!r.ok;
    text = ok ? tIso('verify.ok', { index: r.index, size: r.size, root: r.rootHash }, ['root']) : t('verify.fail', { detail: r.detail || '' });
  } catch (e) {
    text = t('verify.fail', { detail: e.message });
  }
  result.classList.add(ok ? 'ok' : 'fail');
  say(result, text);
  button.disabled = false;
});
