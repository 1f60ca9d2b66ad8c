#!/usr/bin/env node
// Record replaykit's own ground-truth corpus: rrweb (UMD bundles from npm) injected into
// every document of headless Chromium, driven by playwright-core like a person, with the
// truth written from what the page observed. See README.md.
//
//   node benchmarks/truth/record.mjs --out benchmarks/truth/corpus [--journey NAME ...]
//   node benchmarks/truth/record.mjs --list
//   node benchmarks/truth/record.mjs --rebuild [--journey NAME]   # truth again from <journey>.raw.json
//   Each journey also writes <journey>.raw.json (script actions + probe reports; --keep-reports keeps
//   hover-time mutation reports too), so the truth rules can change without re-recording.
import { chromium } from 'playwright-core';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './lib/server.mjs';
import { Human } from './lib/human.mjs';
import { buildTruth } from './lib/truth.mjs';
import { JOURNEYS } from './journeys.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const VIEWPORT = { width: 1280, height: 800 };
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const NETWORK_OPTIONS = { recordHeaders: true, recordBody: ['application/json'], recordInitialRequests: true };

function parseArgs(argv) {
  const opts = { out: path.join(HERE, 'corpus'), journeys: [], list: false, chromium: process.env.CHROMIUM || '/usr/bin/chromium' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out') opts.out = argv[++i];
    else if (a === '--journey') opts.journeys.push(argv[++i]);
    else if (a === '--chromium') opts.chromium = argv[++i];
    else if (a === '--list') opts.list = true;
    else if (a === '--keep-reports') opts.keepReports = true;
    else if (a === '--rebuild') opts.rebuild = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return opts;
}

async function versions() {
  const v = {};
  for (const name of ['rrweb', 'rrweb-snapshot', '@rrweb/rrweb-plugin-console-record', '@rrweb/rrweb-plugin-network-record', 'playwright-core']) {
    try { v[name] = JSON.parse(await readFile(path.join(HERE, 'node_modules', name, 'package.json'), 'utf8')).version; } catch { v[name] = null; }
  }
  return v;
}

async function initScripts() {
  const read = (p) => readFile(path.join(HERE, 'node_modules', p), 'utf8');
  const bundles = [
    await read('rrweb/dist/rrweb.umd.min.cjs'),
    await read('@rrweb/rrweb-plugin-console-record/dist/rrweb-plugin-console-record.umd.min.cjs'),
    await read('@rrweb/rrweb-plugin-network-record/dist/rrweb-plugin-network-record.umd.min.cjs'),
  ];
  // UMD bundles assign to `this` (window) when no module system is present.
  const recorder = `(function () {\n${bundles.join('\n;\n')}\n;if (window !== window.top || window.__rrwebStop) return;\n` +
    `window.__rrwebStop = rrweb.record({ emit: function (e) { window.__rrwebEmit(e); }, plugins: [` +
    `rrwebPluginConsoleRecord.getRecordConsolePlugin(), rrwebPluginNetworkRecord.getRecordNetworkPlugin(${JSON.stringify(NETWORK_OPTIONS)})] });\n}).call(window);`;
  const probe = await readFile(path.join(HERE, 'lib', 'probe.js'), 'utf8');
  return [probe, recorder];
}

export async function recordJourney(journey, { out, chromiumPath, scripts, base, vers, keepReports }) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rk-truth-'));
  const events = [];
  const reports = [];
  const observed = { console: [], page_errors: [], http_errors: [], requests: [] };
  const ctx = await chromium.launchPersistentContext(dataDir, {
    executablePath: chromiumPath, headless: true, args: ARGS, viewport: VIEWPORT
  });
  try {
    await ctx.exposeBinding('__rrwebEmit', (_src, e) => { events.push(e); });
    await ctx.exposeBinding('__truthReport', (_src, r) => { reports.push(r); });
    for (const s of scripts) await ctx.addInitScript({ content: s });
    const page = ctx.pages()[0] || (await ctx.newPage());
    const rel = (u) => { try { const x = new URL(u); return x.pathname + x.search; } catch { return u; } };
    page.on('console', (m) => observed.console.push({ t: Date.now(), type: m.type(), text: m.text(), from_page_js: !m.text().startsWith('Failed to load resource'), path: rel(page.url()) }));
    page.on('pageerror', (e) => observed.page_errors.push({ t: Date.now(), message: e.message, path: rel(page.url()) }));
    page.on('response', (r) => {
      const type = r.request().resourceType();
      if (!['fetch', 'xhr', 'document'].includes(type)) return;
      const row = { t: Date.now(), method: r.request().method(), url: rel(r.url()), status: r.status(), resource_type: type };
      observed.requests.push(row);
      if (r.status() >= 400) observed.http_errors.push(row);
    });
    const human = new Human(page, journey.name);
    human.base = base;
    const tStart = Date.now();
    await journey.run(human, page, base);
    await page.waitForTimeout(journey.tail ?? 2500);
    const tEnd = Date.now();
    const ua = await page.evaluate(() => navigator.userAgent);
    const recorder = {
      versions: vers,
      browser: ctx.browser()?.version() || ua,
      options: { maskAllInputs: false, pageviewEvents: true, console: {}, network: NETWORK_OPTIONS },
      viewport: VIEWPORT,
      injection: 'playwright addInitScript (every document; rrweb in the top frame, the observation probe in every frame), events via exposeBinding',
      user_agent: ua,
      rrweb_meta_events: events.filter((e) => e.type === 4).length,
    };
    await ctx.close();
    const truth = buildTruth({ journey, actions: human.actions, reports, base, tStart, tEnd, recorder, observed, events });
    await mkdir(out, { recursive: true });
    await writeFile(path.join(out, `${journey.name}.json`), '[\n' + events.map((e) => JSON.stringify(e)).join(',\n') + '\n]\n');
    await writeFile(path.join(out, `${journey.name}.truth.json`), JSON.stringify(truth, null, 1) + '\n');
    // What the truth is built from, so the truth can be rebuilt without re-recording.
    const raw = { journey: journey.name, base, t_start: tStart, t_end: tEnd, recorder, observed, actions: human.actions };
    if (keepReports) raw.reports = reports;
    else raw.reports = reports.filter((r) => r.type !== 'mut' || (r.ctx && r.ctx.kind !== 'hover'));
    await writeFile(path.join(out, `${journey.name}.raw.json`), JSON.stringify(raw) + '\n');
    return { events: events.length, truth };
  } finally {
    await ctx.close().catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.list) { for (const j of JOURNEYS) console.log(`${j.name}\t${j.pageType}\t${j.description}`); return; }
  const chosen = opts.journeys.length ? JOURNEYS.filter((j) => opts.journeys.includes(j.name)) : JOURNEYS.filter((j) => !j.smoke);
  const missing = opts.journeys.filter((n) => !JOURNEYS.some((j) => j.name === n));
  if (missing.length) throw new Error(`unknown journey: ${missing.join(', ')}`);
  if (opts.rebuild) {
    for (const j of chosen) {
      const raw = JSON.parse(await readFile(path.join(opts.out, `${j.name}.raw.json`), 'utf8'));
      const events = JSON.parse(await readFile(path.join(opts.out, `${j.name}.json`), 'utf8'));
      const truth = buildTruth({ journey: j, actions: raw.actions, reports: raw.reports, base: raw.base, tStart: raw.t_start, tEnd: raw.t_end, recorder: raw.recorder, observed: raw.observed, events });
      await writeFile(path.join(opts.out, `${j.name}.truth.json`), JSON.stringify(truth, null, 1) + '\n');
      console.log(`${j.name}: truth rebuilt`);
    }
    return;
  }
  const scripts = await initScripts();
  const vers = await versions();
  const { base, close } = await startServer();
  try {
    for (const j of chosen) {
      const t0 = Date.now();
      const { events, truth } = await recordJourney(j, { out: opts.out, chromiumPath: opts.chromium, scripts, base, vers, keepReports: opts.keepReports });
      const e = truth.expected;
      console.log(`${j.name}: ${events} events, ${e.click_actions} clicks (${JSON.stringify(e.effect_classes)}), ` +
        `dead ${e.dead_clicks}, rage ${e.rage_clicks}, error ${e.error_clicks}, slow ${e.slow_clicks}, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    await close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
