// What the DAG folder reads and what it skips: the size limit at its edge, special entries, depth.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { MAX_DAG_FILE_BYTES, MAX_DAG_FOLDER_DEPTH, listDagFolder, readDagFile } from '../dist/dag-folder-files.js';

const dir = mkdtempSync(join(tmpdir(), 'kontroler-folder-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test(`a file of exactly MAX_DAG_FILE_BYTES (${MAX_DAG_FILE_BYTES}) is read; one byte more is refused, naming the limit`, async () => {
  const at = join(dir, 'at.yaml');
  const over = join(dir, 'over.yaml');
  writeFileSync(at, 'x'.repeat(MAX_DAG_FILE_BYTES));
  writeFileSync(over, 'x'.repeat(MAX_DAG_FILE_BYTES + 1));
  const a = await readDagFile(at);
  assert.ok(a.ok && a.text.length === MAX_DAG_FILE_BYTES);
  const o = await readDagFile(over);
  assert.ok(!o.ok && o.tooLarge === true);
  assert.match(o.reason, /over the limit of 33554432 bytes \(MAX_DAG_FILE_BYTES/);
});

test('FIFOs, dangling links, link loops and links to folders are listed as skipped with a reason; a FIFO is never opened', async () => {
  const d = join(dir, 'special');
  mkdirSync(join(d, 'sub'), { recursive: true });
  writeFileSync(join(d, 'ok.yaml'), 'a: 1\n');
  writeFileSync(join(d, 'notes.txt'), 'ignored\n');
  execFileSync('mkfifo', [join(d, 'pipe.yaml')]);
  symlinkSync(join(d, 'nowhere.yaml'), join(d, 'dangling.yaml'));
  symlinkSync(join(d, 'b.yaml'), join(d, 'a.yaml'));
  symlinkSync(join(d, 'a.yaml'), join(d, 'b.yaml'));
  symlinkSync(join(d, 'sub'), join(d, 'linked-dir'));
  symlinkSync(join(d, 'ok.yaml'), join(d, 'alias.yaml'));
  const l = await listDagFolder(d);
  assert.deepEqual(l.files, [join(d, 'alias.yaml'), join(d, 'ok.yaml')]);
  const reasons = Object.fromEntries(l.skipped.map((s) => [s.path.slice(d.length + 1), s.reason]));
  assert.match(reasons['pipe.yaml'] ?? '', /FIFO/);
  assert.match(reasons['dangling.yaml'] ?? '', /dangling/);
  assert.match(reasons['a.yaml'] ?? '', /loop/);
  assert.match(reasons['b.yaml'] ?? '', /loop/);
  assert.match(reasons['linked-dir'] ?? '', /folder/);
  assert.equal(Object.keys(reasons).length, 5);
  // Reading the FIFO directly returns at once (non-blocking open) instead of waiting for a writer.
  const r = await readDagFile(join(d, 'pipe.yaml'));
  assert.ok(!r.ok);
  assert.match(r.reason, /FIFO/);
});

test(`folders are walked ${MAX_DAG_FOLDER_DEPTH} levels deep, not deeper`, async () => {
  let d = join(dir, 'deep');
  const root = d;
  for (let i = 1; i <= MAX_DAG_FOLDER_DEPTH + 1; i++) {
    d = join(d, `l${i}`);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `f${i}.yaml`), 'a: 1\n');
  }
  const l = await listDagFolder(root);
  assert.equal(l.files.length, MAX_DAG_FOLDER_DEPTH);
  assert.equal(l.skipped.length, 1);
  assert.match(l.skipped[0]?.reason ?? '', /more than 16 levels deep/);
});
