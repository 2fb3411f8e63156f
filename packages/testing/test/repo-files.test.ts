// The kit's repository files: the root, YAML files below a folder, and the compatibility corpus
// (a missing corpus fails loudly).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compatDir, repoRoot, yamlFilesUnder } from '@kontroler/testing';

test('repoRoot is the repository root', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { workspaces?: string[] };
  assert.ok(pkg.workspaces?.includes('packages/testing'), repoRoot);
});

test('yamlFilesUnder: every .yaml and .yml file below the folder, sorted, depth first', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kit-yaml-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'b'));
  for (const f of ['c.yml', 'a.yaml', 'notes.md', 'b/z.yaml', 'b/x.json']) writeFileSync(join(dir, f), '');
  assert.deepEqual(yamlFilesUnder(dir), [join(dir, 'a.yaml'), join(dir, 'b', 'z.yaml'), join(dir, 'c.yml')]);
});

test('compatDir finds the corpus, or fails saying how to point at it', (t) => {
  const before = process.env['KONTROLER_COMPAT_DIR'];
  t.after(() => {
    if (before === undefined) delete process.env['KONTROLER_COMPAT_DIR'];
    else process.env['KONTROLER_COMPAT_DIR'] = before;
  });
  const found = compatDir();
  assert.ok(yamlFilesUnder(join(found, 'kontroler-samples')).length > 0, found);
  const empty = mkdtempSync(join(tmpdir(), 'kit-compat-'));
  t.after(() => rmSync(empty, { recursive: true, force: true }));
  process.env['KONTROLER_COMPAT_DIR'] = empty;
  assert.throws(() => compatDir(), /compatibility corpus not found at .*kit-compat-.*; set KONTROLER_COMPAT_DIR/);
});
