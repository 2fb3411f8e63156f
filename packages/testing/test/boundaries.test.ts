// Test helpers stay out of production: no package's src imports the test kit or the store's
// test database, the kit is only ever a devDependency, and the store's main entry does not
// export its test helper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const packagesDir = join(root, 'packages');
const TEST_ONLY = ['@kontroler/testing', '@kontroler/store/testing'];

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (/\.(ts|tsx|mts)$/.test(name)) out.push(path);
  }
  return out;
}

const packages = readdirSync(packagesDir).filter((p) => statSync(join(packagesDir, p, 'package.json'), { throwIfNoEntry: false }) !== undefined);

test('the packages are found (the checks below see something)', () => {
  for (const p of ['store', 'controller', 'server', 'cli', 'testing', 'runtime-local']) assert.ok(packages.includes(p), `packages/${p}`);
});

test('no production source imports the test kit or @kontroler/store/testing', () => {
  const offenders: string[] = [];
  for (const p of packages.filter((p) => p !== 'testing')) {
    const src = join(packagesDir, p, 'src');
    if (statSync(src, { throwIfNoEntry: false }) === undefined) continue;
    for (const file of sources(src)) {
      const text = readFileSync(file, 'utf8');
      for (const spec of TEST_ONLY) if (text.includes(`'${spec}'`) || text.includes(`"${spec}"`)) offenders.push(`${file.slice(root.length)} imports ${spec}`);
    }
  }
  assert.deepEqual(offenders, []);
});

test('@kontroler/testing is a devDependency only', () => {
  const offenders = packages.filter((p) => {
    const pkg = JSON.parse(readFileSync(join(packagesDir, p, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    return pkg.dependencies?.['@kontroler/testing'] !== undefined;
  });
  assert.deepEqual(offenders, []);
});

test('the store exports createTestDatabase from ./testing, not from its main entry', async () => {
  const main: Record<string, unknown> = await import(['@kontroler', 'store'].join('/'));
  const testing: Record<string, unknown> = await import(['@kontroler', 'store', 'testing'].join('/'));
  assert.equal('createTestDatabase' in main, false);
  assert.equal(typeof testing.createTestDatabase, 'function');
});
