// The harness' own site and JSON API on 127.0.0.1 (a free port).
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SITE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'site');

const PAGES = [
  [/^\/ops\/?$/, 'ops.html'],
  [/^\/settings\/saved$/, 'saved.html'],
  [/^\/settings(\/(profile|notifications|billing))?\/?$/, 'settings.html'],
  [/^\/board\/?$/, 'board.html'],
  [/^\/feed(\/post\/\d+)?\/?$/, 'feed.html'],
  [/^\/search\/?$/, 'search.html'],
  [/^\/search\/results$/, 'results.html'],
  [/^\/search\/item$/, 'item.html'],
  [/^\/docs\/?$/, 'docs.html'],
  [/^\/docs\/deploy$/, 'deploy.html'],
  [/^\/docs\/widget$/, 'widget.html'],
];

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
const COMPONENTS = ['Button', 'Button group', 'Dialog', 'Dialog footer', 'Date picker', 'Drawer', 'Tooltip', 'Toast', 'Tabs', 'Table', 'Toggle', 'Badge'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function feedPage(page) {
  const posts = [];
  for (let i = 0; i < 6; i++) {
    const id = page * 6 + i + 1;
    posts.push({ id, title: `Update #${id}: ${['Deploy notes', 'Design review', 'Incident recap', 'Team lunch', 'Roadmap'][id % 5]}`,
      author: ['Ana', 'Bo', 'Chen', 'Dee'][id % 4], ago: `${id * 3} min ago`, likes: (id * 7) % 23,
      body: 'Short summary of what changed this week and what comes next for the team.' });
  }
  return { page, posts };
}

async function api(req, res, url) {
  const json = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const p = url.pathname;
  if (p === '/api/services') {
    await sleep(1400);
    return json(200, { services: ['api', 'auth', 'billing', 'search', 'mailer', 'queue', 'cdn', 'db-1'].map((n, i) => ({ n, load: (i * 13) % 97, ok: true })) });
  }
  if (p === '/api/worker/restart') return json(503, { error: 'worker pool draining' });
  if (p === '/api/board/sync') { await sleep(250); return json(500, { error: 'sync conflict' }); }
  if (p === '/api/invoice') { await sleep(1300); return json(200, { number: 'INV-2041' }); }
  if (p === '/api/like') return json(200, { ok: true });
  if (p === '/api/feed') { await sleep(350); return json(200, feedPage(Number(url.searchParams.get('page') || 0))); }
  const post = p.match(/^\/api\/feed\/post\/(\d+)$/);
  if (post) { await sleep(150); return json(200, { id: Number(post[1]), title: `Update #${post[1]} (full post)` }); }
  if (p === '/api/search') {
    const q = (url.searchParams.get('q') || '').toLowerCase();
    await sleep(120);
    if (q.startsWith('zz')) return json(500, { error: 'index unavailable' });
    return json(200, { items: COMPONENTS.map((name, i) => ({ id: i + 1, name })).filter((c) => c.name.toLowerCase().includes(q)).slice(0, 6) });
  }
  return json(404, { error: 'not found' });
}

export async function startServer() {
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://127.0.0.1');
      if (url.pathname.startsWith('/api/')) return await api(req, res, url);
      let file = null;
      if (url.pathname.startsWith('/static/')) file = path.basename(url.pathname);
      else for (const [re, name] of PAGES) if (re.test(url.pathname)) { file = name; break; }
      if (req.method === 'POST' && url.pathname === '/docs/thanks') file = 'deploy.html';
      if (!file) { res.writeHead(404, { 'content-type': 'text/plain' }); return res.end('not found'); }
      const body = await readFile(path.join(SITE, file));
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    } catch (e) {
      res.writeHead(500); res.end(String(e));
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { server, base: `http://127.0.0.1:${port}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}
