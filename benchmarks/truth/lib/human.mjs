// Input like a person: eased mouse paths with presses and releases, per-key typing with
// pauses, wheel gestures. Every random choice comes from one seeded generator, so a
// journey repeats. Each method appends what the script did to `actions` (host clock).

export function seeded(text) {
  let s = 2166136261;
  for (const ch of text) s = Math.imul(s ^ ch.charCodeAt(0), 16777619) >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ease = (u) => (u < 0.5 ? 2 * u * u : 1 - (-2 * u + 2) ** 2 / 2);
const DESCRIBE = (el) => {
  const d = { tag: el.tagName.toLowerCase() };
  for (const [k, a] of [['id', 'id'], ['name', 'name'], ['type', 'type'], ['placeholder', 'placeholder'], ['aria_label', 'aria-label']]) {
    const v = el.getAttribute(a);
    if (v) d[k] = v;
  }
  if (el.labels && el.labels.length) d.label = el.labels[0].innerText.trim();
  if (el.form) d.form = el.form.id || el.form.getAttribute('name') || 'form';
  return d;
};

export class Human {
  constructor(page, name) {
    this.page = page;
    this.rand = seeded(name);
    this.x = 640;
    this.y = 420;
    this.actions = [];
  }

  between(lo, hi) { return lo + (hi - lo) * this.rand(); }
  async wait(ms) { await this.page.waitForTimeout(Math.round(ms)); }
  path() { return new URL(this.page.url()).pathname + new URL(this.page.url()).search; }

  async moveTo(x, y) {
    const dist = Math.hypot(x - this.x, y - this.y);
    const steps = Math.max(4, Math.min(22, Math.round(dist / 30)));
    const x0 = this.x, y0 = this.y;
    const bend = this.between(-0.12, 0.12) * dist;
    for (let i = 1; i <= steps; i++) {
      const u = ease(i / steps);
      const off = Math.sin(Math.PI * (i / steps)) * bend;
      const nx = x0 + (x - x0) * u + (dist ? (-(y - y0) / dist) * off : 0);
      const ny = y0 + (y - y0) * u + (dist ? ((x - x0) / dist) * off : 0);
      await this.page.mouse.move(nx, ny);
      await this.wait(this.between(8, 18));
    }
    this.x = x; this.y = y;
  }

  async pointOf(target, spread = 0.25) {
    if (typeof target.x === 'number') return { x: target.x, y: target.y };
    let box = await target.boundingBox();
    // Off screen: wheel towards it like a person would (never a programmatic scroll).
    const vh = this.page.viewportSize().height;
    for (let i = 0; i < 8 && box && (box.y < 0 || box.y + box.height > vh); i++) {
      const dir = box.y < 0 ? -1 : 1;
      const need = dir > 0 ? box.y + box.height - vh + 160 : 160 - box.y;
      const notches = Math.max(1, Math.min(8, Math.ceil(Math.abs(need) / 100)));
      const before = await this.page.evaluate(() => scrollY);
      await this.wheel(Array(notches).fill(dir * 100), 'scroll to find the target');
      await this.wait(this.between(250, 450));
      box = await target.boundingBox();
      if ((await this.page.evaluate(() => scrollY)) === before) break;
    }
    if (!box) throw new Error(`no box for ${target}`);
    return {
      x: Math.round(box.x + box.width / 2 + this.between(-spread, spread) * box.width),
      y: Math.round(box.y + box.height / 2 + this.between(-spread, spread) * box.height),
    };
  }

  /** One press and release (a click) on a locator or {x, y}. */
  async click(target, intent, opts = {}) {
    const { x, y } = opts.at || (await this.pointOf(target, opts.spread ?? 0.25));
    await this.moveTo(x, y);
    await this.wait(opts.settle ?? this.between(60, 160));
    const action = { kind: 'click', intent, x, y, click_count: opts.clickCount || 1, path: this.path() };
    action.t_start = Date.now();
    await this.page.mouse.down({ clickCount: action.click_count });
    await this.wait(opts.hold ?? this.between(55, 110));
    await this.page.mouse.up({ clickCount: action.click_count });
    action.t_end = Date.now();
    if (opts.expect) action.expect = opts.expect;
    this.actions.push(action);
    return action;
  }

  /** n rapid clicks (gap ms apart, press to press) at nearly one spot. */
  async rage(target, n, intent, gap = [150, 230]) {
    const p = await this.pointOf(target, 0.1);
    for (let i = 0; i < n; i++) {
      const t0 = Date.now();
      const at = { x: p.x + Math.round(this.between(-3, 3)), y: p.y + Math.round(this.between(-3, 3)) };
      await this.click(null, `${intent} (${i + 1}/${n})`, { at, settle: 0, hold: this.between(40, 70), clickCount: i + 1 });
      const rest = this.between(gap[0], gap[1]) - (Date.now() - t0);
      if (rest > 0 && i < n - 1) await this.wait(rest);
    }
  }

  /** Press at one point, move while holding, release at another. */
  async drag(from, to, intent) {
    const a = await this.pointOf(from, 0.1);
    const b = await this.pointOf(to, 0.15);
    await this.moveTo(a.x, a.y);
    await this.wait(this.between(80, 150));
    const action = { kind: 'drag', intent, x: a.x, y: a.y, x_end: b.x, y_end: b.y, path: this.path(), t_start: Date.now() };
    await this.page.mouse.down();
    await this.wait(this.between(120, 200));
    await this.moveTo(b.x, b.y);
    await this.wait(this.between(80, 140));
    await this.page.mouse.up();
    action.t_end = Date.now();
    this.actions.push(action);
  }

  /** Type into the focused field key by key. `plan` items: a string to type, {pause: ms},
   * {backspace: n}. Counts chars added/removed and corrections (>= 3 deleted after a
   * >= 300 ms pause). */
  async type(field, plan, intent) {
    const target = await field.evaluate(DESCRIBE);
    const action = { kind: 'input', intent, path: this.path(), target, chars_added: 0, chars_removed: 0, corrections: 0 };
    let lastKey = null;
    action.t_start = Date.now();
    for (const step of plan) {
      if (typeof step === 'string') {
        for (const ch of step) {
          await this.page.keyboard.type(ch);
          action.chars_added += 1;
          lastKey = Date.now();
          await this.wait(this.between(70, 170) + (ch === ' ' ? 60 : 0));
        }
      } else if (step.pause) {
        await this.wait(step.pause);
      } else if (step.backspace) {
        const gap = lastKey === null ? 0 : Date.now() - lastKey;
        for (let i = 0; i < step.backspace; i++) {
          await this.page.keyboard.press('Backspace');
          action.chars_removed += 1;
          await this.wait(this.between(90, 140));
        }
        lastKey = Date.now();
        if (step.backspace >= 3 && gap >= 300) action.corrections += 1;
      }
    }
    action.t_end = lastKey ?? Date.now();
    action.t = action.t_start;
    action.value = await field.inputValue();
    action.chars = action.value.length;
    action.masked = target.type === 'password';
    this.actions.push(action);
  }

  async press(key, intent) {
    const action = { kind: 'key', key, intent, path: this.path(), t_start: Date.now() };
    await this.page.keyboard.press(key);
    action.t_end = Date.now();
    this.actions.push(action);
    return action;
  }

  /** One wheel gesture: `deltas` (px per notch, sign = direction), notches ~40 ms apart.
   * A direction change inside the gesture is recorded as a second scroll action. */
  async wheel(deltas, intent) {
    const sy = () => this.page.evaluate(() => Math.round(scrollY));
    let seg = null;
    const segs = [];
    for (const d of deltas) {
      const dir = Math.sign(d);
      if (!seg || seg.dir !== dir) {
        seg = { kind: 'scroll', intent, path: this.path(), target: 'window', dir, dy: 0, t_start: Date.now(), scroll_before: await sy() };
        if (segs.length) seg.reverses = true;
        segs.push(seg);
      }
      await this.page.mouse.wheel(0, d);
      seg.dy += d;
      seg.t_end = Date.now();
      await this.wait(this.between(35, 60));
      seg.scroll_after = await sy();
    }
    await this.wait(300);
    seg.scroll_after = await sy();
    for (const s of segs) { s.t = s.t_start; delete s.dir; this.actions.push(s); }
  }

  async select(locator, value, intent) {
    const target = await locator.evaluate(DESCRIBE);
    const action = { kind: 'select', intent, path: this.path(), target, value, t_start: Date.now() };
    await locator.selectOption(value);
    action.t_end = Date.now();
    action.t = action.t_start;
    action.label = await locator.evaluate((el) => el.selectedOptions[0].textContent);
    action.masked = false;
    this.actions.push(action);
  }

  async nav(how, url, intent) {
    const action = { kind: 'navigate', how, intent, from: this.path(), t_start: Date.now() };
    action.t = action.t_start;
    if (how === 'goto') { action.url = url; await this.page.goto(url); }
    else if (how === 'back') await this.page.goBack();
    else await this.page.goForward();
    action.t_end = Date.now();
    action.to = this.path();
    this.actions.push(action);
  }

  async pause(ms, intent) {
    const action = { kind: 'pause', intent, duration_ms: Math.round(ms), path: this.path(), t_start: Date.now() };
    await this.wait(ms);
    action.t_end = Date.now();
    action.t = action.t_start;
    this.actions.push(action);
  }
}
