// Ground truth from what the browser observed (probe reports) and what the script did
// (Human actions), with one attribution rule for click effects:
//
//   A click's observation window runs from its press until the next user action in the
//   tab (another press -- except a repeat click on the same element within 1 s of the
//   previous one, which continues the window --, a key press, a select change, a browser
//   Back/Forward, a typed-URL load) or 7 s, whichever comes first. What is observed after
//   that boundary belongs to the later action, never to the earlier click.
//
// Observations are DOM mutations, checkbox/radio toggles, navigations (link/form/scripted
// navigation, pushState, popstate, the document unloading), console.error calls and
// uncaught errors. Mutations the page marked ambient (tickers, live panels) are dropped at
// the source; mutations made while a hover or a scroll was being handled (and by timers and
// promise callbacks those handlers started) belong to that hover/scroll, not to a click.

export const DEAD_MS = 2500; // frustration-signals.md §3: PostHog's dead-click mutation window
const WINDOW_MS = 7000;
const REPEAT_MS = 1000;
const SLOW_MS = 1000;
const QUICK_BACK_MS = 3000;

const pathOf = (url) => { try { const u = new URL(url, 'http://x'); return u.pathname + u.search; } catch { return url; } };
// One element across clicks: its text counts only when nothing steadier names it (a Like
// button's count changes with every click).
const keyOf = (t) => JSON.stringify([t.tag, t.id, t.aria_label, t.id || t.aria_label ? null : t.text, t.class, t.shadow_host, t.frame]);

function strip(target) {
  if (!target) return target;
  const out = {};
  for (const k of ['tag', 'id', 'name', 'placeholder', 'type', 'href', 'text', 'label', 'aria_label', 'role', 'testid', 'title', 'alt', 'class', 'disabled', 'shadow_host', 'frame']) {
    if (target[k] !== undefined) out[k] = target[k];
  }
  return out;
}

export function buildTruth({ journey, actions: hostActions, reports, base, tStart, tEnd, recorder, observed, events }) {
  reports = [...reports].sort((a, b) => a.t - b.t);
  const top = reports.filter((r) => r.frame === 'top');

  // ---- presses and the DOM clicks they produced ------------------------------------
  const presses = new Map();
  for (const r of reports) {
    if (r.type === 'press') presses.set(r.ctx.id, { press: r, clicks: [], dbl: 0, ctx: r.ctx.id });
  }
  for (const r of reports) {
    if ((r.type === 'click' || r.type === 'dblclick' || r.type === 'contextmenu') && r.ctx && presses.has(r.ctx.id)) {
      const p = presses.get(r.ctx.id);
      if (r.type === 'click') p.clicks.push(r); else p.dbl += 1;
    }
  }
  const unusedPresses = [...presses.values()].sort((a, b) => a.press.t - b.press.t);
  function takePress(a) {
    const i = unusedPresses.findIndex((p) => p.press.t >= a.t_start - 5 && p.press.t <= a.t_end + 5);
    return i < 0 ? null : unusedPresses.splice(i, 1)[0];
  }

  const out = [];
  for (const a of hostActions) {
    if (a.kind === 'click' || a.kind === 'drag') {
      const p = takePress(a);
      const c = p && p.clicks[0];
      const item = { kind: c ? 'click' : a.kind, intent: a.intent, path: a.path, x: a.x, y: a.y, t_start: a.t_start, t_end: a.t_end };
      if (a.kind === 'click') item.click_count = a.click_count;
      if (a.kind === 'drag') Object.assign(item, { drag: true, x_end: a.x_end, y_end: a.y_end });
      if (p) {
        item.t_press = p.press.t;
        item.frame = p.press.frame;
        item.ctx = p.ctx;
      }
      if (c) {
        item.t = c.t;
        item.path = c.path;
        item.target = strip(c.target);
        item.click_event = true;
        item.click_event_target = strip(c.raw);
        item.interactive = c.interactive;
        item.text_field = c.text_field;
        item.selection = c.selection || undefined;
        if (p.clicks.length > 1) item.extra_click_events = p.clicks.slice(1).map((x) => strip(x.raw));
        if (p.dbl) item.dblclick_events = p.dbl;
      } else {
        item.t = p ? p.press.t : a.t_start;
        item.click_event = false;
        if (p) item.target = strip(p.press.target);
        item.note = 'pressed and released, but the browser dispatched no click event';
      }
      out.push(item);
    } else if (a.kind === 'key') {
      out.push({ ...a, t: a.t_start });
    } else {
      out.push({ ...a, t: a.t ?? a.t_start });
    }
  }
  out.sort((a, b) => (a.t_press ?? a.t) - (b.t_press ?? b.t));

  // ---- boundaries ------------------------------------------------------------------
  const keys = reports.filter((r) => r.type === 'key');
  const boundaries = [];
  for (const a of out) {
    if ((a.kind === 'click' || a.kind === 'drag') && a.t_press) boundaries.push({ t: a.t_press, action: a });
    if (a.kind === 'select' || a.kind === 'navigate') boundaries.push({ t: a.t_start, action: a });
  }
  for (const k of keys) boundaries.push({ t: k.t, key: k });
  boundaries.sort((a, b) => a.t - b.t);

  const effectObs = reports.filter((r) => {
    const ctx = r.error_ctx || r.ctx;
    if (ctx && (ctx.kind === 'hover' || ctx.kind === 'scroll')) return false;
    if (r.type === 'mut') return true;
    if ((r.type === 'input' || r.type === 'change') && r.checked !== undefined) return r.type === 'input';
    return ['nav', 'spa_push', 'spa_pop', 'unload', 'uncaught', 'console_error'].includes(r.type);
  });

  const clicks = out.filter((a) => a.kind === 'click' && a.click_event);
  for (const a of out.filter((x) => x.kind === 'click' || x.kind === 'drag')) {
    if (!a.t_press) continue;
    // Window end: the next boundary that is not a repeat click on the same element.
    let prev = a;
    let end = null;
    let reason = 'timeout';
    for (const b of boundaries) {
      if (b.t <= a.t_press || (b.action === a)) continue;
      const o = b.action;
      if (o && o.kind === 'click' && o.click_event && a.target && o.target && keyOf(o.target) === keyOf(a.target) && b.t - (prev.t_press ?? prev.t) <= REPEAT_MS) {
        prev = o;
        continue;
      }
      end = b.t;
      reason = o ? (o.kind === 'navigate' ? o.how : o.kind) : `key ${b.key.key}`;
      break;
    }
    const limit = a.t_press + WINDOW_MS;
    if (end === null || end > limit) { end = limit; reason = 'timeout'; }
    if (end > tEnd) { end = tEnd; reason = 'recording_end'; }
    const mine = effectObs.filter((r) => r.t >= a.t_press && r.t < end);
    const t0 = a.t;
    const first = (pred) => { const r = mine.find(pred); return r ? r : null; };
    const nav = first((r) => ['nav', 'spa_push', 'spa_pop', 'unload'].includes(r.type));
    const err = first((r) => r.type === 'uncaught' || r.type === 'console_error');
    const mut = first((r) => r.type === 'mut');
    const toggle = first((r) => r.type === 'input');
    const reaction = [mut, toggle].filter(Boolean).sort((x, y) => x.t - y.t)[0] || null;
    let cls = 'none';
    if (nav) cls = 'navigation'; else if (err) cls = 'error'; else if (reaction) cls = 'reaction';
    const firstAny = [nav, err, reaction].filter(Boolean).sort((x, y) => x.t - y.t)[0];
    a.effect_class = cls;
    a.window_ms = end - t0;
    a.window_end = reason;
    if (firstAny) {
      a.effect_ms = Math.max(0, firstAny.t - t0);
      a.t_effect = Math.max(t0, firstAny.t);
    }
    a.effect_detail = {};
    if (nav) a.effect_detail.navigation = { how: nav.type === 'nav' ? nav.how : nav.type, to: nav.to || null, ms: Math.max(0, nav.t - t0) };
    if (err) {
      const unc = mine.find((r) => r.type === 'uncaught');
      a.effect_detail.error = { message: (unc || err).message, ms: Math.max(0, err.t - t0), uncaught: !!unc };
    }
    if (mut) a.effect_detail.mutation_ms = Math.max(0, mut.t - t0);
    if (toggle) a.effect_detail.toggle = { checked: toggle.checked, ms: Math.max(0, toggle.t - t0) };
    const focus = reports.find((r) => r.type === 'focus' && r.ctx && r.ctx.id === a.ctx);
    const focusField = a.text_field && focus;
    if (cls === 'navigation') a.effect = 'navigation';
    else if (cls === 'error') a.effect = 'error';
    else if (cls === 'reaction') a.effect = toggle && (!mut || toggle.t <= mut.t) ? 'toggle' : (a.effect_ms >= SLOW_MS ? 'delayed_dom_change' : 'dom_change');
    else a.effect = focusField ? 'focus' : 'none';
    if (toggle) a.checked = toggle.checked;
    // Link, form and scripted navigations leave the document; pushState/popstate do not.
    if (nav) a.full_load = nav.type === 'nav' || nav.type === 'unload';
    // The absence of an effect proves nothing when the recording ended, or the person left
    // the document (typed URL, Back/Forward), before the window could show one.
    if (cls === 'none' && ((reason === 'recording_end' && a.window_ms < WINDOW_MS) || (['goto', 'back', 'forward'].includes(reason) && a.window_ms < 2500))) a.undetermined = true;
    delete a.ctx;
  }

  // Enter that submitted a form: a navigate action of its own.
  for (const a of out) {
    if (a.kind !== 'key') continue;
    const k = keys.find((r) => r.t >= a.t_start - 5 && r.t <= a.t_end + 5 && r.key === a.key);
    if (!k) continue;
    a.t = k.t;
    a.target = strip(k.target);
    const nav = reports.find((r) => r.type === 'nav' && r.ctx && r.ctx.id === k.ctx.id);
    if (nav && a.key === 'Enter') {
      a.kind = 'navigate';
      a.how = 'enter';
      a.full_load = true;
      a.from = a.path;
      a.to = nav.to;
    }
  }

  // ---- navigations and page loads (top frame) --------------------------------------
  const loads = top.filter((r) => r.type === 'load');
  const navigations = [];
  let shown = null;
  for (const r of top) {
    if (r.type === 'load') { navigations.push({ t: r.t, kind: 'full_load', from: shown, to: r.path, nav_type: r.nav_type }); shown = r.path; }
    if (r.type === 'spa_push') { navigations.push({ t: r.t, kind: 'spa_push', from: r.from, to: r.to }); shown = r.to; }
    if (r.type === 'spa_pop') { navigations.push({ t: r.t, kind: 'spa_pop', from: r.from, to: r.to }); shown = r.to; }
  }
  for (const a of out) {
    if (a.kind !== 'navigate') continue;
    if (a.how === 'enter') continue;
    const n = navigations.find((x) => x.t >= a.t_start - 5);
    if (n) { a.full_load = n.kind === 'full_load'; a.to = n.to; a.path = n.to; }
  }
  const pageLoads = loads.map((r) => ({ t: r.t, path: r.path, url: r.url, nav_type: r.nav_type, scroll_y_after_load: r.scroll_y, dom_elements: r.dom_elements, dom_nodes: r.dom_nodes }));

  // ---- signals ---------------------------------------------------------------------
  const signals = [];
  // Rage: >= 3 clicks, consecutive gaps <= 1000 ms, within 30 px of the first, one element.
  let burst = [];
  const closeBurst = () => {
    // Rapid clicks that selected text (a double/triple click on a word) are not rage.
    if (burst.length >= 3 && burst.some((c) => c.selection)) {
      for (const c of burst) c.rage_rejected = 'selection';
    } else if (burst.length >= 3) {
      const ids = burst.map((c) => c.id);
      signals.push({ kind: 'rage_click', t: burst[0].t, t_start: burst[0].t, t_end: burst.at(-1).t, span_ms: burst.at(-1).t - burst[0].t, clicks: burst.length, target: burst[0].target, path: burst[0].path, action_ids: ids });
      for (const c of burst) c.in_rage = true;
    }
    burst = [];
  };
  const numbered = out.map((a, i) => Object.assign(a, { id: i + 1 }));
  for (const c of numbered.filter((a) => a.kind === 'click' && a.click_event)) {
    const f = burst[0];
    if (f && c.t - burst.at(-1).t <= 1000 && Math.hypot(c.x - f.x, c.y - f.y) <= 30 && keyOf(c.target) === keyOf(f.target)) burst.push(c);
    else { closeBurst(); burst = [c]; }
  }
  closeBurst();
  for (const c of clicks) {
    const tag = c.target && c.target.tag;
    // Dead-click truth follows frustration-signals.md §3 step 4: undetermined only when the
    // stream ended before the dead timeout (2.5 s), not before the whole 7 s effect window.
    // The stream's end is its last event: a recording says nothing of the quiet after it.
    const streamEnd = events && events.length ? events[events.length - 1].timestamp : tEnd;
    const judged = !c.undetermined || (c.window_end === 'recording_end' && streamEnd - (c.t_press ?? c.t) >= DEAD_MS);
    if (c.effect_class === 'none' && judged && !c.text_field && !c.selection && c.effect !== 'focus' && tag !== 'html' && tag !== 'body') {
      signals.push({ kind: 'dead_click', t: c.t, action_id: c.id, target: c.target, path: c.path, interactive: !!c.interactive, part_of_rage_click: !!c.in_rage });
    }
    if (c.effect_class === 'error') {
      signals.push({ kind: 'error_click', t: c.t, action_id: c.id, target: c.target, path: c.path, message: c.effect_detail.error.message });
    }
    if ((c.effect_class === 'reaction' || c.effect_class === 'navigation') && c.effect_ms >= SLOW_MS && c.effect_ms < WINDOW_MS) {
      signals.push({ kind: 'slow_click', t: c.t, t_click: c.t, t_effect: c.t_effect, delay_ms: c.effect_ms, action_id: c.id, target: c.target, path: c.path, t_effect_source: 'page' });
    }
  }
  for (const c of numbered) delete c.in_rage;
  for (const r of reports) {
    if (r.type === 'console_error') signals.push({ kind: 'console_error', t: r.t, t_source: 'page', message: r.message, path: r.path, frame: r.frame });
    if (r.type === 'uncaught') signals.push({ kind: 'uncaught_exception', t: r.t, t_source: 'page', message: r.message, path: r.path, frame: r.frame });
    if (r.type === 'fetch' && r.status >= 400) signals.push({ kind: 'network_error', t: r.t, t_source: 'page', method: r.method, url: pathOf(r.url), status: r.status, path: r.path });
  }
  // Idle: >= 30 s between the end of one input and the start of the next.
  const inputs = numbered.filter((a) => a.kind !== 'pause').map((a) => [a.t_start ?? a.t, a.t_end ?? a.t, a]).sort((x, y) => x[0] - y[0]);
  const gaps = [];
  for (let i = 1; i < inputs.length; i++) {
    const gap = inputs[i][0] - inputs[i - 1][1];
    if (gap >= 5000) gaps.push({ after_action: inputs[i - 1][2].id, before_action: inputs[i][2].id, t_start: inputs[i - 1][1], t_end: inputs[i][0], duration_ms: gap });
    if (gap >= 30000) signals.push({ kind: 'idle', t: inputs[i - 1][1], t_start: inputs[i - 1][1], t_end: inputs[i][0], duration_ms: gap, path: inputs[i][2].path, action_id: inputs[i][2].id });
  }
  // Quick back: A -> B -> A with <= 3 s on B.
  for (let i = 0; i + 2 < navigations.length; i++) {
    const [A, B, C] = navigations.slice(i, i + 3);
    if (A.to === C.to && A.to !== B.to && C.t - B.t <= QUICK_BACK_MS) {
      const ids = numbered.filter((a) => a.t >= B.t - 1500 && a.t <= C.t + 5 && (a.kind === 'click' || a.kind === 'navigate')).map((a) => a.id);
      signals.push({ kind: 'quick_back', t: B.t, t_forward: B.t, t_back: C.t, dwell_ms: C.t - B.t, from: A.to, to: B.to, how: C.kind, action_ids: ids });
    }
  }
  // Form abandon: filled fields of a <form> (not a search form), then the document was left
  // by a full load with no submit since the first fill.
  const submitted = new Set(reports.filter((r) => r.type === 'nav' && r.how === 'submit').map((r) => r.doc));
  const filled = new Map();
  for (const a of numbered.filter((x) => x.kind === 'input' && x.value && x.target && x.target.form && x.target.type !== 'search')) {
    const doc = reports.find((r) => r.type === 'input' && r.t >= a.t_start - 5 && r.t <= a.t_end + 500)?.doc;
    if (!doc) continue;
    const f = filled.get(doc) || { form: a.target.form, fields: new Set(), path: a.path, t_first: a.t_start };
    f.fields.add(a.target.id || a.target.name);
    filled.set(doc, f);
  }
  // The document is left when the next top-frame document loads (a binding call made
  // from `pagehide` does not reach the harness, so the new document's load marks it).
  for (const [doc, f] of filled) {
    if (submitted.has(doc)) continue;
    const mine = loads.findIndex((r) => r.doc === doc);
    const next = mine >= 0 ? loads[mine + 1] : null;
    if (!next) continue;
    signals.push({ kind: 'form_abandon', t: next.t, path: f.path, form: f.form, fields_filled: f.fields.size, submitted: false, left_to: next.path });
  }
  signals.sort((a, b) => a.t - b.t);

  const count = (k) => signals.filter((s) => s.kind === k).length;
  const clickEvents = (events || []).filter((e) => e.type === 3 && e.data && e.data.source === 2 && e.data.type === 2).length;
  const expected = {
    click_actions: numbered.filter((a) => a.kind === 'click').length,
    click_events: clickEvents,
    dom_click_events: numbered.filter((a) => a.kind === 'click' && a.click_event).reduce((n, a) => n + 1 + (a.extra_click_events ? a.extra_click_events.length : 0), 0),
    input_actions: numbered.filter((a) => a.kind === 'input').length,
    select_actions: numbered.filter((a) => a.kind === 'select').length,
    toggle_clicks: numbered.filter((a) => a.effect === 'toggle').length,
    scroll_actions: numbered.filter((a) => a.kind === 'scroll').length,
    selections: 0,
    full_page_loads: (events || []).filter((e) => e.type === 4).length,
    spa_navigations: navigations.filter((n) => n.kind !== 'full_load').length,
    rage_clicks: count('rage_click'),
    dead_clicks: count('dead_click'),
    dead_clicks_interactive: signals.filter((s) => s.kind === 'dead_click' && s.interactive).length,
    slow_clicks: count('slow_click'),
    error_clicks: count('error_click'),
    console_errors: count('console_error'),
    uncaught_exceptions: count('uncaught_exception'),
    network_errors: count('network_error'),
    idle_gaps_30s: count('idle'),
    quick_backs: count('quick_back'),
    form_abandons: count('form_abandon'),
    corrections: numbered.filter((a) => a.kind === 'input').reduce((n, a) => n + (a.corrections || 0), 0),
    effect_classes: Object.fromEntries(['navigation', 'error', 'reaction', 'none'].map((k) => [k, numbered.filter((a) => a.kind === 'click' && a.click_event && a.effect_class === k).length])),
    duration_ms: tEnd - tStart,
  };
  return {
    schema: 'rrweb-harness-truth/1',
    scenario: journey.name,
    page_type: journey.pageType,
    page_types: journey.pageTypes || [journey.pageType],
    description: journey.description,
    recording_file: `${journey.name}.json`,
    recorder,
    base_url: base,
    t_start: tStart,
    t_end: tEnd,
    attribution_rule: 'window from the press to the next user action in the tab (press, key, select, back/forward, typed URL; a repeat click on the same element within 1 s continues the window) or 7 s; ambient (self-updating) mutations and hover/scroll-caused changes excluded; effect_class priority navigation > error > reaction > none',
    clock: { note: 'page Date.now() and the script share the host clock' },
    page_loads: pageLoads,
    navigations,
    actions: numbered,
    signals,
    observed,
    expected,
    input_gaps_over_5s: gaps,
  };
}
