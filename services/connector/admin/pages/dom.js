// Building what the pages show: elements with textContent only (never HTML from data: location
// IDs, paths and descriptions are user input), the message line, and actions whose errors are
// shown, never thrown.
import { ApiError } from './api.js';

export const $ = (id) => document.getElementById(id);

/** A DOM element: props are properties (text → textContent, testid → data-testid, data → dataset), children nodes or text. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined) continue;
    if (k === 'text') node.textContent = v;
    else if (k === 'testid') node.dataset.testid = v;
    else if (k === 'data') Object.assign(node.dataset, v);
    else if (k === 'class') node.className = v;
    else if (k === 'on') for (const [event, f] of Object.entries(v)) node.addEventListener(event, f);
    else if (k.startsWith('aria-') || k === 'role') node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return node;
}

/** Replaces a container's children; the focused control (found again by its data-key) keeps the focus. */
export function replaceKeepingFocus(container, children) {
  const key = container.contains(document.activeElement) ? document.activeElement.dataset.key : undefined;
  container.replaceChildren(...children);
  if (key !== undefined) [...container.querySelectorAll('[data-key]')].find((e) => e.dataset.key === key)?.focus();
}

export const time = (ms) => (ms > 0 ? new Date(ms).toLocaleString() : '—');

export function say(text, error = false) {
  const m = $('message');
  m.textContent = text;
  m.className = error ? 'error' : '';
  m.setAttribute('role', error ? 'alert' : 'status');
  m.hidden = false;
}

/** Runs an action; an error is shown, never thrown. */
export async function run(action, done) {
  try {
    await action();
    if (done) say(done);
  } catch (err) {
    say(err instanceof ApiError ? err.message : `Error: ${err.message}`, true);
  }
}


export function emptyRow(columns, text) {
  return el('tr', {}, el('td', { colSpan: columns, class: 'empty', text }));
}

