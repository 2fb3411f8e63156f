#!/usr/bin/env node
// UI benchmark (`npm run bench` calls it): time to lay out and render a 1,000-task DAG page and a
// run page for it in Chromium (target ≤ 1.5 s), and the size of the initial page load.
// Starts the real all-in-one process (`kontroler up`) on a fresh embedded PostgreSQL (or
// DATABASE_URL), applies a 1,000-task DAG through the API, runs it to the end, then measures in
// Debian's Chromium with playwright-core. Results are printed; docs/benchmarks-ui.md records them.
//   node scripts/bench-ui.mjs [--tasks N] [--repeat N]      BENCH_PROFILE=/path prints a CPU profile of that page
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const TASKS = arg('--tasks', 1000);
const REPEAT = arg('--repeat', 3);
const PASSWORD = 'bench-admin-password';
const CHROMIUM = process.env.KONTROLER_CHROMIUM ?? '/usr/bin/chromium';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

if (!existsSync(CHROMIUM)) {
  console.error(`bench-ui: Chromium not found at ${CHROMIUM} (bash scripts/install-system-deps.sh chromium)`);
  process.exit(1);
}
let r = spawnSync(process.execPath, [join(root, 'scripts/build-ui.mjs'), '--quiet'], { stdio: 'inherit' });
if (r.status !== 0) process.exit(1);

// --- bundle size of the first page load: index.html and what it loads before the app runs.
const dist = join(root, 'packages/ui/dist');
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const initial = ['index.html', ...[...html.matchAll(/(?:src|href)="\/([^"]+\.(?:js|css))"/g)].map((m) => m[1])];
let raw = 0;
let gz = 0;
for (const f of initial) {
  const data = readFileSync(join(dist, f));
  raw += data.length;
  gz += gzipSync(data, { level: 9 }).length;
}
const all = readdirSync(join(dist, 'assets')).filter((f) => /\.(js|css)$/.test(f));
const allGz = all.reduce((a, f) => a + gzipSync(readFileSync(join(dist, 'assets', f)), { level: 9 }).length, 0);
console.log(`initial page load (${initial.join(', ')}): ${kib(raw)} raw, ${kib(gz)} gzip`);
console.log(`whole bundle (${all.length} files, lazy chunks included): ${kib(allGz)} gzip`);

// --- the real server with a big DAG and a finished run of it.
const tmp = mkdtempSync(join(tmpdir(), 'kontroler-bench-ui-'));
let pg;
let up;
let ctx;
try {
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const { startEmbeddedPostgres } = await import(pathToFileURL(join(root, 'packages/cli/dist/embedded/index.js')).href);
    pg = await startEmbeddedPostgres({ dataDir: join(tmp, 'pg') });
    databaseUrl = pg.url;
  }
  const port = await new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
  const base = `http://127.0.0.1:${port}`;
  up = spawn(process.execPath, [join(root, 'packages/cli/bin/kontroler.js'), 'up', '--dags', join(tmp, 'dags'), '--data-dir', join(tmp, 'data'), '--port', String(port)], {
    env: { ...process.env, DATABASE_URL: databaseUrl, KONTROLER_ADMIN_PASSWORD: PASSWORD, KONTROLER_CONTROLLER_ID: `bench-ui-${port}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`kontroler up not ready:\n${out}`)), 120_000);
    const on = (d) => {
      out += d;
      if (/Kontroler is up/.test(out)) {
        clearTimeout(t);
        res();
      }
    };
    up.stdout.on('data', on);
    up.stderr.on('data', on);
    up.on('exit', (c) => rej(new Error(`kontroler up exited ${c}:\n${out}`)));
  });
  const login = await (await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) })).json();
  const auth = { authorization: `Bearer ${login.token}` };
  // 20 ranks; every task after one of the previous rank, a third of them after two.
  const width = Math.max(1, Math.round(TASKS / 20));
  const lines = ['apiVersion: kontroler.greedykomodo/v1alpha1', 'kind: DAG', 'metadata: {name: big}', 'spec:', '  task:'];
  for (let i = 0; i < TASKS; i++) {
    const rank = Math.floor(i / width);
    const prev = (rank - 1) * width;
    const after = rank === 0 ? [] : [`t${prev + (i % width)}`, ...(i % 3 === 0 ? [`t${prev + ((i * 7) % width)}`] : [])];
    lines.push(`    - {name: t${i}, image: alpine, command: ["true"]${after.length ? `, runAfter: [${[...new Set(after)].join(', ')}]` : ''}}`);
  }
  let res = await fetch(`${base}/api/v1/namespaces/default/dags`, { method: 'POST', headers: { ...auth, 'content-type': 'application/yaml' }, body: lines.join('\n') });
  if (!res.ok) throw new Error(`apply: ${res.status} ${await res.text()}`);
  res = await fetch(`${base}/api/v1/namespaces/default/dags/big/runs`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
  const run = await res.json();
  const t0 = Date.now();
  for (;;) {
    const s = await (await fetch(`${base}/api/v1/runs/${run.id}`, { headers: auth })).json();
    if (!['pending', 'running'].includes(s.status)) break;
    if (Date.now() - t0 > 300_000) throw new Error('the 1,000-task run did not end in 5 minutes');
    await new Promise((r2) => setTimeout(r2, 1000));
  }
  console.log(`(set-up: ${TASKS}-task DAG applied, run ${run.id} ended in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);

  const { chromium } = await import(pathToFileURL(join(root, 'node_modules/playwright-core/index.mjs')).href);
  ctx = await chromium.launchPersistentContext(join(tmp, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  await page.goto(`${base}/login`);
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('h1:has-text("DAGs")');

  async function measure(path) {
    const results = [];
    for (let i = 0; i < REPEAT + 1; i++) {
      await page.goto(`${base}${path}`);
      await page.waitForFunction(() => performance.getEntriesByName('kontroler:graph:painted').length > 0, null, { timeout: 60_000 });
      const m = await page.evaluate(() => {
        const get = (n) => performance.getEntriesByName(n)[0];
        return {
          layout: get('kontroler:layout')?.duration ?? NaN,
          render: get('kontroler:graph:painted').startTime - get('kontroler:layout:start').startTime,
          total: get('kontroler:graph:painted').startTime,
        };
      });
      await page.waitForTimeout(300);
      m.nodes = await page.evaluate(() => document.querySelectorAll('.react-flow__node').length);
      if (i > 0) results.push(m); // the first load warms the browser cache
    }
    return {
      layout: median(results.map((x) => x.layout)),
      render: median(results.map((x) => x.render)),
      total: median(results.map((x) => x.total)),
      nodes: results[0].nodes,
    };
  }
  if (process.env.BENCH_PROFILE) {
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await page.goto(`${base}/dags`);
    await cdp.send('Profiler.start');
    await page.goto(`${base}${process.env.BENCH_PROFILE}`);
    await page.waitForFunction(() => performance.getEntriesByName('kontroler:graph:painted').length > 0, null, { timeout: 60_000 });
    const { profile } = await cdp.send('Profiler.stop');
    const self = new Map();
    const dt = profile.timeDeltas;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, i) => {
      const n = byId.get(id);
      const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
      self.set(k, (self.get(k) ?? 0) + (dt[i] ?? 0) / 1000);
    });
    for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(v.toFixed(0).padStart(6), 'ms', k);
  }
  for (const [label, path] of [['DAG page', '/dags/default/big'], ['run page', `/runs/${run.id}`]]) {
    const m = await measure(path);
    const ok = m.render <= 1500 ? 'meets' : 'misses';
    console.log(`${label} (${TASKS} tasks): layout ${m.layout.toFixed(0)} ms; layout + render to first paint ${m.render.toFixed(0)} ms (target ≤ 1,500 ms: ${ok}); navigation to graph painted ${m.total.toFixed(0)} ms; ${m.nodes} nodes in the DOM (median of ${REPEAT})`);
  }
} finally {
  await ctx?.close().catch(() => undefined);
  if (up && up.exitCode === null) {
    const exited = new Promise((res) => up.once('exit', res));
    up.kill('SIGINT');
    await Promise.race([exited, new Promise((res) => setTimeout(res, 15_000))]);
  }
  await pg?.stop().catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
}
