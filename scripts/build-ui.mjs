#!/usr/bin/env node
// Builds the web UI bundle (packages/ui/dist) when it is missing or stale: `npm start` and
// `npm test` call it after `tsc -b`. Stale = the fingerprint (content hash) of the UI's sources,
// its config and the built @kontroler/core and @kontroler/client it bundles differs from the one
// recorded by the last build. A fresh build type-checks the React code (tsconfig.app.json), runs
// `vite build`, and writes `.gz` copies of text assets that the server sends to gzip clients.
//   node scripts/build-ui.mjs [--force] [--quiet]
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const ui = join(root, 'packages/ui');
const dist = join(ui, 'dist');
const stampFile = join(dist, '.build-stamp');
const force = process.argv.includes('--force');
const quiet = process.argv.includes('--quiet');

function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

function fingerprint() {
  const h = createHash('sha256');
  const files = [
    ...walk(join(ui, 'src')),
    ...walk(join(ui, 'public')),
    join(ui, 'index.html'),
    join(ui, 'vite.config.ts'),
    join(ui, 'package.json'),
    join(ui, 'tsconfig.app.json'),
    ...walk(join(root, 'packages/core/dist')).filter((f) => f.endsWith('.js')),
    ...walk(join(root, 'packages/client/dist')).filter((f) => f.endsWith('.js')),
  ];
  for (const f of files) {
    h.update(relative(root, f));
    h.update('\0');
    h.update(readFileSync(f));
    h.update('\0');
  }
  return h.digest('hex');
}

const fp = fingerprint();
if (!force && existsSync(join(dist, 'index.html')) && existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === fp) {
  if (!quiet) console.error('ui: bundle up to date (packages/ui/dist)');
  process.exit(0);
}

const t0 = Date.now();
console.error('ui: building the web UI bundle (type check + vite build)...');
const tsc = join(root, 'node_modules/typescript/bin/tsc');
let r = spawnSync(process.execPath, [tsc, '-p', join(ui, 'tsconfig.app.json')], { cwd: ui, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('ui: type check failed');
  process.exit(1);
}
const vite = join(root, 'node_modules/vite/bin/vite.js');
r = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: ui, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('ui: vite build failed');
  process.exit(1);
}
for (const f of walk(dist)) {
  if (!/\.(html|js|css|svg|json|txt)$/.test(f)) continue;
  const data = readFileSync(f);
  if (data.length < 1024) continue;
  writeFileSync(`${f}.gz`, gzipSync(data, { level: constants.Z_BEST_COMPRESSION }));
}
writeFileSync(stampFile, `${fp}\n`);
console.error(`ui: built in ${((Date.now() - t0) / 1000).toFixed(1)} s (packages/ui/dist)`);
