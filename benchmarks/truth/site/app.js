// Shared helpers for the harness pages. `T` is the observation probe's page API when the
// harness injected it, else a no-op stand-in so the pages also work in a plain browser.
window.T = window.__truth || { ambient: (fn) => fn(), nav() {}, note() {} };
function $(sel, root) { return (root || document).querySelector(sel); }
function $$(sel, root) { return Array.from((root || document).querySelectorAll(sel)); }
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else if (v !== false && v != null) el.setAttribute(k, v);
  }
  for (const kid of kids.flat()) el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  return el;
}
// A seeded generator so ambient updates repeat run to run.
function rng(seed) {
  let s = seed >>> 0;
  return () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}
function toast(text, kind) {
  let box = $('#toasts');
  if (!box) { box = h('div', { id: 'toasts', class: 'css-t0a5t1', 'aria-live': 'polite' }); document.body.append(box); }
  const el = h('div', { class: 'css-7y2kq9 ' + (kind || 'ok'), role: 'status' }, text);
  box.append(el);
  setTimeout(() => el.remove(), 2500);
}
const ICON = {
  refresh: '<svg viewBox="0 0 16 16" width="16" height="16"><path d="M13 3v4H9" fill="none" stroke="currentColor"/><circle cx="8" cy="8" r="5" fill="none" stroke="currentColor"/></svg>',
  download: '<svg viewBox="0 0 16 16" width="16" height="16"><path d="M8 2v9M4 7l4 4 4-4M2 14h12" fill="none" stroke="currentColor"/></svg>',
  close: '<svg viewBox="0 0 16 16" width="16" height="16"><path d="M3 3l10 10M13 3L3 13" stroke="currentColor"/></svg>',
  edit: '<svg viewBox="0 0 16 16" width="16" height="16"><path d="M2 14l3-1 8-8-2-2-8 8z" fill="none" stroke="currentColor"/></svg>',
  copy: '<svg viewBox="0 0 16 16" width="16" height="16"><rect x="5" y="5" width="8" height="9" fill="none" stroke="currentColor"/><path d="M3 11V2h8" fill="none" stroke="currentColor"/></svg>',
  heart: '<svg viewBox="0 0 16 16" width="16" height="16"><path d="M8 14S2 10 2 6a3 3 0 0 1 6-1 3 3 0 0 1 6 1c0 4-6 8-6 8z" fill="none" stroke="currentColor"/></svg>',
  trash: '<svg viewBox="0 0 16 16" width="16" height="16"><path d="M3 4h10M6 4V2h4v2M4 4l1 10h6l1-10" fill="none" stroke="currentColor"/></svg>',
};
function icon(name) { const s = h('span', { class: 'css-1c0n5x', 'aria-hidden': 'true' }); s.innerHTML = ICON[name]; return s; }
