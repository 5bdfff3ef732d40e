// The mediator adds or amends an agreed term: a signed glossary.set.
import { t, say, signAndSubmit } from '/static/js/page.js';

const form = document.getElementById('term');
if (form) {
  const error = form.querySelector('[data-error]');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const id = form.elements.namedItem('id').value.trim();
    const terms = {};
    for (const lang of ['en', 'ar', 'he']) {
      const v = form.elements.namedItem(lang).value.trim();
      if (v) terms[lang] = v;
    }
    if (!/^[a-z0-9][a-z0-9._-]{0,62}$/.test(id) || Object.keys(terms).length === 0) {
      say(error, t('error.term_required'));
      form.elements.namedItem(/^[a-z0-9]/.test(id) ? 'en' : 'id').focus();
      return;
    }
    const note = form.elements.namedItem('note').value.trim();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    error.textContent = '';
    try {
      await signAndSubmit('/glossary', 'glossary.set', { term: note ? { id, terms, note } : { id, terms } });
      location.reload();
    } catch (e) {
      say(error, e.message);
      button.disabled = false;
    }
  });
}
