// The de-escalation desk's board on the watch screen stays current: on
// the desk's traffic (and after a lost connection) it re-reads itself
// from the server, which alone decides what this member may see of it.
import { fetchFragment, parseHTML, debounce, alertPage } from '/static/js/page.js';

const part = document.querySelector('[data-desk-fragment="board"]');

const refresh = debounce(async () => {
  try {
    const html = await fetchFragment('/board?fragment=board');
    if (html !== null) part.replaceChildren(parseHTML(html));
  } catch (e) {
    alertPage(e.message);
  }
}, 200);

if (part) {
  document.addEventListener('liaison:entry', (ev) => {
    if (/^(activity|conflict|incident|verification|posture|zone|force|due)\./.test(ev.detail?.kind || '')) refresh();
  });
  document.addEventListener('liaison:resync', refresh);
  // What is owed turns overdue with no entry to say so.
  setInterval(refresh, 60000);
}
