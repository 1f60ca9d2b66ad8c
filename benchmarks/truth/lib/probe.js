// Observation probe: injected before the page's own scripts in every frame.
// It never touches the DOM. It reports what the browser did (DOM mutations, navigations,
// console errors, uncaught errors, fetch answers, clicks, key presses) through the
// `__truthReport` binding, each report tagged with the *context* that was running:
//   - a user press (pointerdown .. click), a key press, a scroll, a hover;
//   - "ambient" while page code marked as self-updating (tickers) runs;
//   - null when no context is known.
// Contexts follow timers, promise callbacks and animation frames the code starts, so an
// infinite-scroll load that a scroll started stays the scroll's, not the next click's.
(() => {
  if (window.__truth) return;
  const send = window.__truthReport;
  const frame = window === window.top ? 'top' : (() => {
    try { return window.frameElement && window.frameElement.id ? `iframe#${window.frameElement.id}` : 'iframe'; } catch (e) { return 'iframe'; }
  })();
  const docKey = `${frame}@${Math.round(performance.timeOrigin)}`;
  const origSetTimeout = window.setTimeout;
  const origSetInterval = window.setInterval;
  const origRaf = window.requestAnimationFrame;
  const origThen = Promise.prototype.then;
  const origFetch = window.fetch;
  const origConsoleError = console.error;
  const origPush = history.pushState;
  const AMBIENT = { kind: 'ambient', id: 'ambient' };

  const queue = [];
  function report(o) {
    o.frame = frame;
    o.doc = docKey;
    o.path = location.pathname + location.search;
    if (o.t === undefined) o.t = Date.now();
    try { (window.__truthReport || send)(o); } catch (e) { queue.push(o); }
  }

  let seq = 0;
  let cur = null;
  let lastPointer = null;
  let lastUser = null;
  let lastScroll = null;

  // ---- element descriptions -------------------------------------------------------
  const INTERACTIVE = 'a[href],button,input,select,textarea,summary,option,label,[role=button],[role=link],' +
    '[role=tab],[role=switch],[role=checkbox],[role=option],[role=menuitem],[role=combobox],[onclick],[tabindex]';
  const TEXTLIKE = new Set(['', 'text', 'search', 'email', 'password', 'url', 'tel', 'number', 'date',
    'datetime-local', 'month', 'week', 'time', 'color', 'range', 'file']);
  function parentOf(el) {
    if (el.parentElement) return el.parentElement;
    const root = el.getRootNode && el.getRootNode();
    return root && root.host ? root.host : null;
  }
  function lift(el) {
    for (let e = el; e && e.nodeType === 1; e = parentOf(e)) {
      if (e.matches && e.matches(INTERACTIVE)) return e;
    }
    return null;
  }
  function clean(s, n = 80) {
    s = (s || '').replace(/\s+/g, ' ').trim();
    return s.length > n ? s.slice(0, n) : s;
  }
  function desc(el) {
    if (!el || el.nodeType !== 1) return { tag: el && el.nodeName ? el.nodeName.toLowerCase() : null };
    const d = { tag: el.tagName.toLowerCase() };
    const a = (k) => el.getAttribute(k);
    if (el.id) d.id = el.id;
    if (a('name')) d.name = a('name');
    if (a('type')) d.type = a('type');
    if (a('placeholder')) d.placeholder = a('placeholder');
    if (a('href')) d.href = a('href');
    if (a('aria-label')) d.aria_label = a('aria-label');
    if (a('role')) d.role = a('role');
    if (a('data-testid')) d.testid = a('data-testid');
    if (a('title')) d.title = a('title');
    if (a('alt')) d.alt = a('alt');
    if (typeof el.className === 'string' && el.className) d.class = el.className;
    if (el.disabled || a('aria-disabled') === 'true') d.disabled = true;
    if (!['input', 'textarea', 'select', 'html', 'body'].includes(d.tag)) {
      const text = clean(el.innerText || el.textContent);
      if (text) d.text = text;
    }
    if (el.labels && el.labels.length) d.label = clean(el.labels[0].innerText);
    const root = el.getRootNode && el.getRootNode();
    if (root && root.host) d.shadow_host = root.host.tagName.toLowerCase() + (root.host.id ? `#${root.host.id}` : '');
    if (frame !== 'top') d.frame = frame;
    return d;
  }
  function isTextField(el) {
    if (!el || el.nodeType !== 1) return false;
    const tag = el.tagName.toLowerCase();
    if (tag === 'textarea' || tag === 'select' || el.isContentEditable) return true;
    return tag === 'input' && TEXTLIKE.has((el.getAttribute('type') || '').toLowerCase());
  }

  // ---- mutation attribution ---------------------------------------------------------
  function ctxOut(c) { return c ? { kind: c.kind, id: c.id } : null; }
  function sample(records) {
    const r = records[0];
    const n = r.target.nodeType === 1 ? r.target : r.target.parentElement;
    if (!n) return null;
    return clean((n.tagName || '').toLowerCase() + (n.id ? `#${n.id}` : '') +
      (typeof n.className === 'string' && n.className ? '.' + n.className.split(/\s+/)[0] : ''), 60);
  }
  let ambientCount = 0;
  function take(records, c) {
    if (!records.length) return;
    if (c === AMBIENT) { ambientCount += records.length; return; }
    report({ type: 'mut', n: records.length, ctx: ctxOut(c), where: sample(records) });
  }
  const mo = new MutationObserver((records) => take(records, cur));
  const moOpts = { subtree: true, childList: true, attributes: true, characterData: true };
  function flush() { take(mo.takeRecords(), cur); }
  mo.observe(document, moOpts);
  const origAttach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (...args) {
    const root = origAttach.apply(this, args);
    try { mo.observe(root, moOpts); } catch (e) { /* closed or odd */ }
    return root;
  };

  function run(c, fn, self, args) {
    const prev = cur;
    flush();
    cur = c;
    try {
      return fn.apply(self, args);
    } catch (e) {
      try { if (e && typeof e === 'object') e.__truthCtx = ctxOut(c); } catch (x) { /* frozen */ }
      throw e;
    } finally {
      flush();
      cur = prev;
    }
  }
  function bind(fn, c) {
    if (typeof fn !== 'function' || !c) return fn;
    return function (...args) { return run(c, fn, this, args); };
  }
  window.setTimeout = function (fn, ms, ...rest) { return origSetTimeout.call(window, bind(fn, cur), ms, ...rest); };
  window.setInterval = function (fn, ms, ...rest) { return origSetInterval.call(window, bind(fn, cur), ms, ...rest); };
  window.requestAnimationFrame = function (fn) { return origRaf.call(window, bind(fn, cur)); };
  Promise.prototype.then = function (a, b) { return origThen.call(this, bind(a, cur), bind(b, cur)); };

  // The page's own API: mark self-updating code, report a scripted navigation.
  window.__truth = {
    ambient(fn) { return run(AMBIENT, fn, this, []); },
    nav(how, to) { flush(); report({ type: 'nav', how, to: String(to || ''), ctx: ctxOut(cur) }); },
    note(what, extra) { report(Object.assign({ type: 'note', what, ctx: ctxOut(cur) }, extra || {})); },
  };

  // ---- user-event contexts -------------------------------------------------------
  // A user event's context lasts for its dispatch: a one-time bubble listener added on
  // window during the capture phase runs after every listener the page registered there
  // (the list is read again when the event bubbles back to window); a zero timer ends it
  // for events that do not bubble.
  function enter(c, type) {
    flush();
    cur = c;
    if (type) addEventListener(type, () => { if (cur === c) leave(); }, { once: true, passive: true });
    origSetTimeout.call(window, () => { if (cur === c) { flush(); cur = null; } }, 0);
  }
  function leave() { flush(); cur = null; }
  const POINTER = ['pointerup', 'mouseup', 'click', 'dblclick', 'contextmenu', 'auxclick'];
  const FOLLOW = ['input', 'change', 'focusin', 'focusout', 'focus', 'blur', 'submit', 'beforeinput', 'keypress', 'keyup', 'select', 'toggle', 'reset'];
  addEventListener('pointerdown', (ev) => {
    if (!ev.isTrusted) return;
    lastPointer = lastUser = { kind: 'press', id: `${docKey}/p${++seq}`, t: Date.now() };
    enter(lastPointer, 'pointerdown');
    const target = ev.composedPath()[0];
    report({ type: 'press', ctx: ctxOut(lastPointer), x: ev.clientX, y: ev.clientY, target: desc(target) });
  }, true);
  addEventListener('mousedown', (ev) => { if (ev.isTrusted && lastPointer) enter(lastPointer, 'mousedown'); }, true);
  for (const type of POINTER) {
    addEventListener(type, (ev) => {
      if (ev.isTrusted && lastPointer) enter(lastPointer, type);
      if (type === 'click' || type === 'dblclick' || type === 'contextmenu') {
        const raw = ev.composedPath()[0];
        const lifted = lift(raw);
        const active = document.activeElement;
        report({
          type, ctx: ctxOut(cur), trusted: ev.isTrusted, x: ev.clientX, y: ev.clientY, detail: ev.detail,
          target: desc(lifted || raw), raw: desc(raw), interactive: !!lifted,
          text_field: isTextField(lifted || raw), selection: clean(String(getSelection() || ''), 200),
          focus_field: isTextField(active) && (active === raw || active === lifted),
        });
      }
    }, true);
    addEventListener(type, (ev) => {
      if (type === 'click' && !ev.defaultPrevented) {
        const a = ev.composedPath().find((n) => n.nodeType === 1 && n.tagName === 'A' && n.hasAttribute('href'));
        if (a && !a.target && !a.getAttribute('href').startsWith('#')) {
          report({ type: 'nav', how: 'link', to: a.getAttribute('href'), ctx: ctxOut(cur) });
        }
      }
    }, false);
  }
  addEventListener('keydown', (ev) => {
    if (!ev.isTrusted) return;
    lastUser = { kind: 'key', id: `${docKey}/k${++seq}`, t: Date.now() };
    enter(lastUser, 'keydown');
    report({ type: 'key', key: ev.key, ctx: ctxOut(lastUser), target: desc(ev.composedPath()[0]) });
  }, true);
  for (const type of FOLLOW) {
    addEventListener(type, (ev) => {
      if (!cur && lastUser && Date.now() - lastUser.t < 1500) enter(lastUser, type);
      if (type === 'input' || type === 'change') {
        const el = ev.composedPath()[0];
        const d = { type, ctx: ctxOut(cur), target: desc(el) };
        if (el && (el.type === 'checkbox' || el.type === 'radio')) d.checked = el.checked;
        else if (el && 'value' in el) d.value_len = String(el.value).length;
        report(d);
      } else if (type === 'focusin') {
        report({ type: 'focus', ctx: ctxOut(cur), target: desc(ev.composedPath()[0]) });
      } else if (type === 'submit' && !ev.defaultPrevented) {
        // Our listener runs last in the bubble phase at window; the page may still cancel in
        // capture at window, which we do not use.
      }
    }, true);
  }
  addEventListener('submit', (ev) => {
    if (!ev.defaultPrevented) {
      const f = ev.target;
      report({ type: 'nav', how: 'submit', to: f.getAttribute('action') || '', ctx: ctxOut(cur) });
    }
  }, false);
  for (const type of ['wheel', 'scroll']) {
    addEventListener(type, (ev) => {
      if (cur && cur.kind !== 'scroll') return;
      if (!lastScroll || Date.now() - lastScroll.t > 600) lastScroll = { kind: 'scroll', id: `${docKey}/s${++seq}` };
      lastScroll.t = Date.now();
      enter(lastScroll, type);
    }, { capture: true, passive: true });
  }
  for (const type of ['mouseover', 'mouseout', 'pointerover', 'pointerout', 'mousemove', 'pointermove']) {
    addEventListener(type, (ev) => {
      if (ev.buttons && lastPointer) { enter(lastPointer, type); return; }
      enter({ kind: 'hover', id: `${docKey}/h` }, type);
    }, true);
  }


  // ---- errors, console, network, navigation --------------------------------------
  addEventListener('error', (ev) => {
    if (!(ev instanceof ErrorEvent)) return;  // resource load errors
    report({ type: 'uncaught', message: String(ev.message || '').replace(/^Uncaught (\w*Error: )?/, ''),
      error_ctx: ev.error && ev.error.__truthCtx, ctx: ctxOut(cur) });
  }, true);
  console.error = function (...args) {
    report({ type: 'console_error', message: args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '), ctx: ctxOut(cur) });
    return origConsoleError.apply(this, args);
  };
  window.fetch = function (input, init) {
    const c = cur;
    const method = ((init && init.method) || (input && input.method) || 'GET').toUpperCase();
    const url = typeof input === 'string' ? input : input.url;
    const t0 = Date.now();
    const p = origFetch.call(window, input, init);
    origThen.call(p, (r) => report({ type: 'fetch', method, url, status: r.status, t_start: t0, ctx: ctxOut(c) }),
      (e) => report({ type: 'fetch', method, url, status: 0, failed: String(e), t_start: t0, ctx: ctxOut(c) }));
    return p;
  };
  function pageview(how) {
    if (frame !== 'top') return;
    try { window.rrweb.record.addCustomEvent('$pageview', { href: location.href, how }); } catch (e) { /* not recording */ }
  }
  let shownPath = location.pathname + location.search;
  history.pushState = function (...args) {
    const from = location.pathname + location.search;
    const r = origPush.apply(this, args);
    shownPath = location.pathname + location.search;
    report({ type: 'spa_push', from, to: shownPath, ctx: ctxOut(cur) });
    pageview('pushState');
    return r;
  };
  addEventListener('popstate', () => {
    const to = location.pathname + location.search;
    report({ type: 'spa_pop', from: shownPath, to, ctx: ctxOut(cur) });
    shownPath = to;
    pageview('popstate');
  }, true);
  addEventListener('pagehide', () => { flush(); report({ type: 'unload', ctx: ctxOut(cur) }); }, true);
  addEventListener('load', () => {
    const nav = performance.getEntriesByType('navigation')[0];
    shownPath = location.pathname + location.search;
    report({
      type: 'load', nav_type: nav ? nav.type : null, url: location.href,
      dom_elements: document.getElementsByTagName('*').length,
      dom_nodes: document.createTreeWalker(document, NodeFilter.SHOW_ALL).nextNode ? countNodes() : null,
      scroll_y: Math.round(scrollY),
    });
    origSetTimeout.call(window, () => pageview('load'), 0);
    origSetInterval.call(window, () => {
      if (ambientCount) { report({ type: 'ambient', n: ambientCount }); ambientCount = 0; }
    }, 1000);
  });
  function countNodes() {
    let n = 0;
    const w = document.createTreeWalker(document, NodeFilter.SHOW_ALL);
    while (w.nextNode()) n += 1;
    return n + 1;
  }
  const origReplace = history.replaceState;
  history.replaceState = function (...args) { return origReplace.apply(this, args); };
  if (queue.length) origSetTimeout.call(window, () => { while (queue.length) report(queue.shift()); }, 0);
})();
