// What the desks' writing forms share (the diplomatic and the commercial
// desk's): reading a form into the payload its command carries, repeated
// parts added and removed from a <template>, and files uploaded as blobs
// before the command names them by hash.
//
// A form's inputs: a name is a dotted path in the payload ("project.title");
// data-as says how a value is read; a [data-list] is a repeated part, a
// list of its [data-item]s, each an object of its own [data-key] inputs
// and of the [data-list]s nested in it (a milestone's gates); data-fixed on
// a list holds items the page fixes, sent first and not edited (a project's
// reached milestones); inside an item, data-when="KEY=VALUE" leaves a part
// out unless the item's KEY input holds VALUE (a gate's zone, for the kind
// zone_quiet), and shows it only then; data-if leaves a part out unless its
// checkbox is ticked; a data-attach file input is uploaded first, its
// files appended to the list at that path (data-attach-keys names what of
// each file the command takes).
import { t, say, csrf, problemDetail } from '/static/js/page.js';
import { fromLocalUTC } from '/static/js/deskkit.js';

function required(input) {
  input.focus();
  throw new Error(t('form.required'));
}

// read takes one input as the command carries it: data-as says how.
export function read(input) {
  const v = input.value;
  switch (input.dataset.as) {
    case 'bool': return v === 'true';
    case 'article': {
      if (v === '') return '';
      const [agreement, article] = v.split(/:(.*)/s);
      return { agreement, article };
    }
    case 'cite': {
      const [kind, id] = v.split(':');
      return { kind, id: Number(id) };
    }
    case 'int': {
      if (v.trim() === '') return '';
      const n = Number(v);
      if (!Number.isSafeInteger(n)) required(input);
      return n;
    }
    // A datetime-local the form labels as UTC, whatever this browser's zone.
    case 'utc': {
      const ms = fromLocalUTC(v);
      return Number.isNaN(ms) ? '' : new Date(ms).toISOString();
    }
    case 'lines': {
      const ls = v.split('\n').map((l) => l.trim()).filter((l) => l !== '');
      return ls.length ? ls : '';
    }
    default: return v.trim();
  }
}

// setPath puts a value at a dotted name ("statement.title"), into the
// objects already there: the page's fixed fields and the form's inputs
// make one payload.
export function setPath(obj, name, v) {
  const keys = name.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = (o[k] ??= {});
  o[keys.at(-1)] = v;
}

export function getPath(obj, name) {
  return name.split('.').reduce((o, k) => o?.[k], obj);
}

// off says whether an element sits in a part of the form its checkbox has
// left out (data-if names the checkbox), or in a part of an item that the
// item's kind leaves out (data-when): what it holds is not sent.
function off(form, el) {
  const group = el.closest('[data-if]');
  if (group !== null && form.contains(group) && !document.getElementById(group.dataset.if)?.checked) return true;
  for (let w = el.closest('[data-when]'); w && form.contains(w); w = w.parentElement?.closest('[data-when]')) {
    if (!whenHolds(w)) return true;
  }
  return false;
}

function whenHolds(el) {
  const [key, value] = el.dataset.when.split('=');
  const item = el.closest('[data-item]');
  const input = item && own(item, '[data-key]').find((i) => i.dataset.key === key);
  return input !== undefined && input !== null && input.value === value;
}

// own lists what of selector belongs to item itself, not to an item of a
// list nested in it.
function own(item, selector) {
  return [...item.querySelectorAll(selector)].filter((el) => el.closest('[data-item]') === item);
}

// listOf reads a repeated part (paragraphs, articles, milestones, gates):
// each [data-item] is an object of its own [data-key] inputs and nested
// lists; an item left wholly empty is not sent, one half filled in must be
// completed.
function listOf(form, list) {
  const out = JSON.parse(list.dataset.fixed || '[]');
  for (const item of list.querySelectorAll(':scope > [data-item]')) {
    const obj = {};
    let any = false;
    const inputs = own(item, '[data-key]').filter((i) => !off(form, i));
    for (const input of inputs) {
      const v = read(input);
      if (v !== '') {
        setPath(obj, input.dataset.key, v);
        any = true;
      }
    }
    for (const inner of own(item, '[data-list]')) {
      if (off(form, inner)) continue;
      const items = listOf(form, inner);
      if (items.length) setPath(obj, inner.dataset.list, items);
    }
    if (!any) continue;
    for (const input of inputs) if (input.required && read(input) === '') required(input);
    out.push(obj);
  }
  return out;
}

// fieldsOf merges the page's fixed fields (data-fields) with the form's
// inputs: a group of checkboxes is a list, a radio group its checked value,
// an empty optional text is left out, a dotted name is nested.
export function fieldsOf(form) {
  const flat = {};
  const lists = new Set();
  for (const input of form.querySelectorAll('input[name], textarea[name], select[name]')) {
    if (off(form, input) || input.type === 'file') continue;
    const name = input.name;
    if (input.type === 'checkbox') {
      lists.add(name);
      flat[name] ??= [];
      if (input.checked) flat[name].push(read(input));
      continue;
    }
    if (input.type === 'radio' && !input.checked) continue;
    if (input.dataset.as === 'paragraph') {
      // A comment's place: "LANG:INDEX".
      const [lang, paragraph] = input.value.split(':');
      flat.lang = lang;
      flat.paragraph = Number(paragraph);
      continue;
    }
    const v = read(input);
    if (input.required && v === '') required(input);
    if (v !== '') flat[name] = v;
  }
  for (const group of form.querySelectorAll('[data-required-group]')) {
    if (!off(form, group) && !group.querySelector('input:checked')) {
      group.querySelector('input')?.focus();
      throw new Error(t('form.choose'));
    }
  }
  for (const name of lists) if (flat[name].length === 0) delete flat[name];
  const fields = JSON.parse(form.dataset.fields || '{}');
  for (const [name, v] of Object.entries(flat)) setPath(fields, name, v);
  for (const list of form.querySelectorAll('[data-list]')) {
    if (list.closest('[data-item]') || off(form, list)) continue; // nested lists are their items'
    const items = listOf(form, list);
    if (items.length) setPath(fields, list.dataset.list, items);
    else if (list.hasAttribute('data-list-required')) {
      list.querySelector('[data-key]')?.focus();
      throw new Error(t('form.required'));
    }
  }
  return fields;
}

// upload sends each file chosen in a data-attach input to the blob store
// first: the command then names the blobs by hash, after whatever the list
// at that path already holds (a project's documents it keeps).
export async function upload(form, fields, status) {
  for (const input of form.querySelectorAll('input[type="file"][data-attach]')) {
    const keys = input.dataset.attachKeys?.split(' ');
    const out = [];
    for (const file of input.files) {
      say(status, t('uploading', { name: file.name }));
      const r = await fetch('/api/v1/blobs', {
        method: 'POST', credentials: 'same-origin', body: file,
        headers: { 'Content-Type': 'application/octet-stream', 'X-CSRF-Token': csrf },
      });
      if (!r.ok) throw new Error(file.name + ': ' + await problemDetail(r));
      const blob = await r.json();
      const all = { sha256: blob.sha256, name: file.name, size: file.size, type: file.type || 'application/octet-stream' };
      out.push(keys ? Object.fromEntries(keys.map((k) => [k, all[k]])) : all);
    }
    if (out.length) {
      const had = getPath(fields, input.dataset.attach);
      setPath(fields, input.dataset.attach, [...(Array.isArray(had) ? had : []), ...out]);
    }
  }
}

// ---- repeated parts: add and remove paragraphs, articles, milestones ----

// listOfButton is the list an add button adds to: the one its data-add
// names, or, left empty (a list inside an item a template makes, where ids
// would repeat), the list beside the button.
function listOfButton(add) {
  if (add.dataset.add) return document.getElementById(add.dataset.add);
  return add.parentElement.querySelector(':scope > [data-list]');
}

// renumber keeps each item's visible number (part of its inputs' labels)
// in order after an item comes or goes.
function renumber(list) {
  [...list.querySelectorAll(':scope > [data-item]')].forEach((item, i) => {
    for (const n of own(item, '[data-n]')) n.textContent = String(i + 1);
  });
}

// showWhen shows the parts of an item its kind takes (data-when), and
// hides the others, which are not sent either.
export function showWhen(root) {
  for (const el of root.querySelectorAll('[data-when]')) el.hidden = !whenHolds(el);
}

let listening = false;

// editLists makes the page's repeated parts work: one listener for every
// form, those a live part brings in included.
export function editLists() {
  if (listening) return;
  listening = true;
  showWhen(document);
  document.addEventListener('click', (ev) => {
    const add = ev.target.closest('button[data-add]');
    if (add) {
      const list = listOfButton(add);
      const tpl = document.getElementById(add.dataset.template);
      const item = tpl.content.firstElementChild.cloneNode(true);
      list.append(item);
      renumber(list);
      showWhen(item);
      item.querySelector('[data-key]')?.focus();
      return;
    }
    const remove = ev.target.closest('button[data-remove]');
    if (remove) {
      const item = remove.closest('[data-item]');
      const list = item.parentElement;
      const next = item.nextElementSibling ?? item.previousElementSibling;
      item.remove();
      renumber(list);
      const addButton = [...list.parentElement.querySelectorAll(':scope > button[data-add]')].find((b) => listOfButton(b) === list);
      (next?.querySelector('[data-key]') ?? addButton)?.focus();
    }
  });
  document.addEventListener('change', (ev) => {
    const item = ev.target.closest?.('[data-item]');
    if (item && ev.target.matches('[data-key]')) showWhen(item);
  });
}
