// The watch screen stays current without reloading: on any hotline entry
// (and after a lost connection) it re-reads its server-rendered parts.
import { fetchFragment, parseHTML, debounce, alertPage } from '/static/js/page.js';

const parts = [...document.querySelectorAll('[data-fragment]')];

// The key of an item, to give focus back to the same item after a swap.
function itemKey(el) {
  const li = el?.closest?.('li');
  if (!li) return null;
  for (const a of ['data-escalation', 'data-message-id', 'data-line', 'data-gate-alert']) {
    if (li.hasAttribute(a)) return `li[${a}="${CSS.escape(li.getAttribute(a))}"]`;
  }
  return null;
}

async function refreshPart(el) {
  const html = await fetchFragment('/dashboard?fragment=' + encodeURIComponent(el.dataset.fragment));
  if (html === null) return;
  const focusKey = el.contains(document.activeElement) ? itemKey(document.activeElement) : null;
  el.replaceChildren(parseHTML(html));
  if (focusKey) el.querySelector(focusKey)?.querySelector('a, button')?.focus();
}

const refreshAll = debounce(async () => {
  try {
    await Promise.all(parts.map(refreshPart));
  } catch (e) {
    alertPage(e.message);
  }
}, 150);

document.addEventListener('liaison:entry', (ev) => {
  const kind = ev.detail?.kind || '';
  // The hotline's entries, and what raises or clears a gate alert.
  if (/^(message|translation|channel|cell|party|project|incident|commitment|posture)\./.test(kind)) refreshAll();
});
document.addEventListener('liaison:resync', refreshAll);
// Belt and braces: a slow refresh catches what no event announces.
setInterval(refreshAll, 60000);
