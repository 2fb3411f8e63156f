#!/usr/bin/env node
// Runs the whole test suite: starts the real parts the tests need (fixtures), then Node's test
// runner over every compiled test file, then stops the fixtures. A fixture that cannot start
// fails the run loudly; nothing is skipped in silence.
//
//   node scripts/test.mjs [filter...]   filter: substrings of test file paths
import { spawn } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2);

function findTests(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const files = readdirSync(join(root, 'packages'))
  .flatMap((pkg) => findTests(join(root, 'packages', pkg, 'dist-test')))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();

if (files.length === 0) {
  console.error('test: no test files found (did `tsc -b` run?)');
  process.exit(1);
}

// Each fixture: { name, needed(files) -> boolean, start() -> { env, stop() } }
const fixtureDir = join(root, 'scripts', 'fixtures');
const fixtures = [];
for (const name of readdirSync(fixtureDir).filter((n) => n.endsWith('.mjs')).sort()) {
  const mod = await import(join(fixtureDir, name));
  if (mod.needed(files)) fixtures.push(mod);
}

const env = { ...process.env };
const started = [];
let code = 1;
try {
  for (const fx of fixtures) {
    const t0 = Date.now();
    process.stderr.write(`test: starting ${fx.name}...\n`);
    const handle = await fx.start({ root, env });
    started.push(handle);
    Object.assign(env, handle.env);
    process.stderr.write(`test: ${fx.name} ready in ${Date.now() - t0} ms\n`);
  }
  code = await new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--test', '--test-reporter=spec', '--test-concurrency=2', '--test-timeout=600000', ...files],
      { cwd: root, env, stdio: 'inherit' },
    );
    const forward = (sig) => child.kill(sig);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0)));
  });
} catch (err) {
  console.error(`test: a real part the tests need could not start: ${err?.stack ?? err}`);
  code = 1;
} finally {
  for (const h of started.reverse()) {
    try {
      await h.stop();
    } catch (err) {
      console.error(`test: stopping a fixture failed: ${err}`);
    }
  }
}
process.exit(code);
