// A conversation: new messages, acknowledgements, readback marks and
// translations appear live; every action is a command signed with this
// browser's device key.
import { t, tIso, say, signAndSubmit, fetchFragment, parseHTML, debounce, csrf, problemDetail, alertPage } from '/static/js/page.js';

const root = document.getElementById('channel');
const channel = root.dataset.channel;
const list = root.querySelector('[data-fragment="messages"]');
const scroller = root.querySelector('.scroller');
const pinned = root.querySelector('[data-fragment="pinned"]');
const announce = document.getElementById('announce');

// --- live merge ---------------------------------------------------------

// dirty tells whether an officer is in the middle of something in a
// message's actions: a swap must not throw away a half-written readback.
function dirty(actions) {
  if (!actions) return false;
  if (actions.contains(document.activeElement)) return true;
  return [...actions.querySelectorAll('textarea')].some((x) => x.value.trim() !== '') ||
    [...actions.querySelectorAll('details')].some((d) => d.open);
}

function actionSet(el) {
  return [...(el?.querySelectorAll('[data-action]') || [])].map((b) => b.dataset.action).sort().join(' ');
}

// merge brings the list up to date article by article, oldest first,
// keeping an article's actions while someone works in them (unless what
// they may do there has changed).
function merge(fresh) {
  const incoming = [...fresh.querySelectorAll('article[data-message-id]')];
  if (incoming.length === 0) {
    list.replaceChildren(fresh);
    return;
  }
  list.querySelector(':scope > .empty')?.remove();
  const news = [];
  let prev = null;
  for (const art of incoming) {
    const id = art.dataset.messageId;
    const old = list.querySelector(`article[data-message-id="${CSS.escape(id)}"]`);
    if (!old) {
      news.push(art);
      // Before the first article or, in an empty list, the link back to
      // the newest (an earlier page of the history has one).
      if (!prev) {
        const at = list.querySelector(':scope > article[data-message-id]') || list.querySelector(':scope > .paging-newer');
        if (at) at.before(art); else list.append(art);
      }
    } else {
      const oldActions = old.querySelector(':scope > [data-part="actions"]');
      const newActions = art.querySelector(':scope > [data-part="actions"]');
      if (dirty(oldActions) && actionSet(oldActions) === actionSet(newActions)) {
        newActions.replaceWith(oldActions);
      }
      // A correction being written to a readback that is still unjudged.
      for (const judge of old.querySelectorAll('.judge[data-party]')) {
        const twin = art.querySelector(`.judge[data-party="${CSS.escape(judge.dataset.party)}"]`);
        if (twin && dirty(judge)) twin.replaceWith(judge);
      }
      // Translation confirm buttons live outside the actions and hold no input.
      old.replaceWith(art);
    }
    if (prev) prev.after(art);
    prev = art;
  }
  for (const art of news) {
    const prec = art.dataset.precedence;
    const subject = art.querySelector('h3')?.textContent || '';
    say(announce, t('new_message', { prec, subject }));
  }
}

// mergePinned brings the pinned messages up to date, keeping one whose
// readback is being written; one acknowledged leaves, and the officer's
// focus goes to the next.
function mergePinned(fresh) {
  const had = pinned.contains(document.activeElement);
  for (const pin of fresh.querySelectorAll('[data-pin]')) {
    const old = pinned.querySelector(`[data-pin="${CSS.escape(pin.dataset.pin)}"]`);
    if (old && dirty(old.querySelector('[data-part="actions"]'))) pin.replaceWith(old);
  }
  pinned.replaceChildren(fresh);
  if (had && !pinned.contains(document.activeElement)) {
    (pinned.querySelector('[data-pin] textarea, [data-pin] button') || scroller)?.focus();
  }
}

const refresh = debounce(async () => {
  try {
    // An earlier page of the history stays that page when it refreshes.
    const before = new URLSearchParams(location.search).get('before');
    const base = `/channels/${encodeURIComponent(channel)}?fragment=`;
    const [html, pins] = await Promise.all([fetchFragment(base + 'messages' + (before ? `&before=${encodeURIComponent(before)}` : '')), fetchFragment(base + 'pinned')]);
    if (html !== null) merge(parseHTML(html));
    if (pins !== null) mergePinned(parseHTML(pins));
  } catch (e) {
    alertPage(e.message);
  }
}, 120);

document.addEventListener('liaison:entry', (ev) => {
  const kind = ev.detail?.kind || '';
  if (kind.startsWith('message.') || kind.startsWith('translation.') || kind.startsWith('channel.')) refresh();
});
document.addEventListener('liaison:resync', refresh);

// --- actions ------------------------------------------------------------

// act runs a signed write for a button, showing any problem next to it.
async function act(button, errorEl, write) {
  button.disabled = true;
  if (errorEl) errorEl.textContent = '';
  try {
    await write();
    refresh();
  } catch (e) {
    say(errorEl, e.message);
  } finally {
    button.disabled = false;
  }
}

root.addEventListener('click', async (ev) => {
  const button = ev.target.closest('button[data-action]');
  if (!button || !root.contains(button)) return;
  // A message's article, or its pin above the conversation.
  const art = button.closest('article[data-message-id], [data-pin]');
  if (!art) return;
  const message = Number(art.dataset.messageId ?? art.dataset.pin);
  const errorEl = art.querySelector('[data-part="actions"] [data-error]');
  switch (button.dataset.action) {
    case 'ack':
      return act(button, errorEl, () => signAndSubmit(`/messages/${message}/ack`, 'message.ack', { message }));
    case 'ack-open': {
      const form = document.getElementById(button.getAttribute('aria-controls'));
      const open = form.hidden;
      form.hidden = !open;
      button.setAttribute('aria-expanded', String(open));
      if (open) form.querySelector('textarea')?.focus();
      return;
    }
    case 'ack-send': {
      const area = art.querySelector('[data-readback]');
      const readback = area.value.trim();
      if (!readback) {
        say(errorEl, t('error.readback_required'));
        area.focus();
        return;
      }
      return act(button, errorEl, () => signAndSubmit(`/messages/${message}/ack`, 'message.ack', { message, readback }));
    }
    case 'readback-correct':
      return act(button, errorEl, () => signAndSubmit(`/messages/${message}/readback`, 'message.readback',
        { message, party: button.dataset.party, verdict: 'correct' }));
    case 'readback-incorrect': {
      const area = button.closest('.judge').querySelector('[data-correction]');
      const correction = area.value.trim();
      if (!correction) {
        say(errorEl, t('error.correction_required'));
        area.focus();
        return;
      }
      return act(button, errorEl, () => signAndSubmit(`/messages/${message}/readback`, 'message.readback',
        { message, party: button.dataset.party, verdict: 'incorrect', correction }));
    }
    case 'read':
      return act(button, errorEl, () => signAndSubmit(`/messages/${message}/read`, 'message.read', { message }));
    case 'translate': {
      const box = button.closest('details');
      const text = box.querySelector('[data-tr-text]').value.trim();
      if (!text) {
        say(errorEl, t('error.translation_required'));
        box.querySelector('[data-tr-text]').focus();
        return;
      }
      const lang = box.querySelector('[data-tr-lang]').value;
      const method = box.querySelector('[data-tr-method]').value;
      return act(button, errorEl, async () => {
        await signAndSubmit(`/messages/${message}/translations`, 'translation.add', { message, lang, text, method });
        box.open = false;
        box.querySelector('[data-tr-text]').value = '';
      });
    }
    case 'relay': {
      // Two signed entries: the mediator's own message on the other line,
      // then the link from the original to it, which only the mediator reads.
      const box = button.closest('details');
      const subject = box.querySelector('[data-rl-subject]').value.trim();
      const body = box.querySelector('[data-rl-body]').value.trim();
      if (!subject || !body) {
        say(errorEl, t('error.required'));
        (subject ? box.querySelector('[data-rl-body]') : box.querySelector('[data-rl-subject]')).focus();
        return;
      }
      const fields = { channel: box.querySelector('[data-rl-to]').value, subject, body,
        lang: box.querySelector('[data-rl-lang]').value, precedence: box.querySelector('[data-rl-prec]').value };
      const note = box.querySelector('[data-rl-note]').value.trim();
      return act(button, errorEl, async () => {
        const sent = await signAndSubmit('/messages', 'message.send', fields);
        // Queued at a party's mirror, the copy has no entry to link yet.
        if (!sent.entry) throw new Error(t('relay.queued'));
        const copy = sent.entry.index;
        try {
          await signAndSubmit(`/messages/${message}/relay`, 'message.relay', note ? { origin: message, copy, note } : { origin: message, copy });
        } catch (e) {
          throw new Error(t('relay.unlinked', { index: copy, detail: e.message }));
        }
        // The refreshed article shows the link to the copy; a screen
        // reader hears it now.
        box.open = false;
        say(announce, t('relay.sent', { index: copy }));
      });
    }
    case 'reply':
    case 'correct':
      // The words as the page shows them (terms marked, as plain text).
      return refer(button.dataset.action, message, {
        subject: art.querySelector('h3')?.textContent.trim() || '',
        body: art.querySelector('.text.original .body')?.textContent || '',
        lang: art.querySelector('.text.original .body')?.lang || '',
        precedence: art.dataset.precedence,
      });
    case 'confirm-translation': {
      const translation = Number(button.dataset.translation);
      return act(button, errorEl, () => signAndSubmit(`/translations/${translation}/confirm`, 'translation.confirm', { translation }));
    }
  }
});

// --- compose ------------------------------------------------------------

const compose = document.getElementById('compose');

// refer turns the compose form into a reply to, or a correction of, a
// message: it says so above the fields, and the send carries the reference.
let ref = null;
function setRef(r) {
  ref = r;
  const box = compose.querySelector('[data-ref]');
  box.hidden = !r;
  box.querySelector('[data-ref-text]').replaceChildren(r ? r.text : '');
}
function refer(kind, message, d) {
  if (!compose) return;
  const subject = d.subject || '';
  if (kind === 'reply') {
    setRef({ field: 'reply_to', message, text: tIso('compose.replying', { index: message, subject }) });
    const prefix = t('compose.reply_prefix');
    compose.subject.value = subject.startsWith(prefix) ? subject : prefix + subject;
  } else {
    setRef({ field: 'corrects', message, text: tIso('compose.correcting', { index: message, subject }) });
    compose.subject.value = t('compose.correction_prefix') + subject;
    compose.body.value = d.body || '';
    if (d.precedence) compose.elements.namedItem('precedence').value = d.precedence;
  }
  if (d.lang) {
    const lang = compose.elements.namedItem('lang');
    if ([...lang.options].some((o) => o.value === d.lang)) lang.value = d.lang;
  }
  drafting();
  compose.scrollIntoView({ block: 'nearest' });
  (kind === 'reply' ? compose.body : compose.subject).focus();
}

// On a phone the form is its message field alone until the officer is
// in it, or has started a message.
function drafting() {
  compose.classList.toggle('drafting', [compose.subject, compose.body].some((f) => f.value.trim() !== '') || compose.attachments.files.length > 0 || ref !== null);
}

if (compose) {
  compose.addEventListener('input', drafting);
  compose.addEventListener('change', drafting);
  compose.querySelector('[data-ref-cancel]').addEventListener('click', () => {
    setRef(null);
    compose.subject.focus();
  });
  const error = compose.querySelector('[data-error]');
  const status = compose.querySelector('[data-status]');
  compose.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const subject = compose.subject.value.trim();
    const bodyText = compose.body.value.trim();
    if (!subject || !bodyText) {
      say(error, t('error.required'));
      (subject ? compose.body : compose.subject).focus();
      return;
    }
    const button = compose.querySelector('button[type="submit"]');
    button.disabled = true;
    error.textContent = '';
    try {
      const attachments = [];
      for (const file of compose.attachments.files) {
        say(status, t('uploading', { name: file.name }));
        const r = await fetch('/api/v1/blobs', {
          method: 'POST', credentials: 'same-origin', body: file,
          headers: { 'Content-Type': 'application/octet-stream', 'X-CSRF-Token': csrf },
        });
        if (!r.ok) throw new Error(file.name + ': ' + await problemDetail(r));
        const blob = await r.json();
        attachments.push({ sha256: blob.sha256, name: file.name, size: file.size, type: file.type || 'application/octet-stream' });
      }
      say(status, t('sending'));
      const fields = { channel, subject, body: bodyText, lang: compose.elements.namedItem('lang').value, precedence: compose.elements.namedItem('precedence').value };
      if (attachments.length) fields.attachments = attachments;
      if (ref) fields[ref.field] = ref.message;
      const res = await signAndSubmit('/messages', 'message.send', fields);
      compose.reset();
      setRef(null);
      drafting();
      say(status, res?.queued ? t('mirror.queued_write', { detail: res.detail || '' }) : t('sent'));
      // Back to the newest, where it arrives.
      scroller.scrollTop = scroller.scrollHeight;
      refresh();
    } catch (e) {
      status.textContent = '';
      say(error, e.message);
    } finally {
      button.disabled = false;
    }
  });
}

// --- invite an observer (the mediator's admins, on a joint channel) -----

const invite = document.getElementById('invite');
if (invite) {
  invite.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const button = invite.querySelector('button[type="submit"]');
    const error = invite.querySelector('[data-error]');
    button.disabled = true;
    error.textContent = '';
    try {
      // The invitation restates the channel's titles as the server holds
      // them: it is the invited party's first entry of the channel.
      const r = await fetch(`/api/v1/channels/${encodeURIComponent(channel)}`, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      if (!r.ok) throw new Error(await problemDetail(r));
      const ch = await r.json();
      const fields = { channel, party: invite.party.value, title: ch.title };
      if (ch.titles && Object.keys(ch.titles).length) fields.titles = ch.titles;
      await signAndSubmit(`/channels/${encodeURIComponent(channel)}/invite`, 'channel.invite', fields);
      location.reload(); // who reads the channel is the page's heading
    } catch (e) {
      say(error, e.message);
      button.disabled = false;
    }
  });
}
