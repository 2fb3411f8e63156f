// A large file in the DAG folder is parsed, validated and resolved in a worker thread (issue 13):
// the event loop keeps turning while it loads, the DAG is stored intact, and the folder reports
// the same problems as when the file is read inline.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { API_VERSION, loadValidatedResources, resolveDag, specHash, type DagDefinition, type DagResource } from '@kontroler/core';
import { getDagVersion } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { DagFolder, dagFolderWorker, type FolderReport } from '../dist/dag-folder.js';

const N = 25_000; // about 3.3 MiB of JSON: under MAX_DAG_FILE_BYTES, over the worker's 256 KiB

function layeredDag(name: string, n: number, broken = false) {
  const task = Array.from({ length: n }, (_, i) => {
    const runAfter = i < 10 ? [] : [...new Set([`t${i - 10}`, `t${i - 10 - (i % 10 === 0 ? 0 : 1)}`])];
    if (broken && i % 1000 === 999) runAfter.push(`missing${i}`);
    return { name: `t${i}`, image: 'alpine:3', command: ['sh', '-c'], args: [`echo ${i} $(WHO)`], runAfter, parameters: ['WHO'] };
  });
  return { apiVersion: API_VERSION, kind: 'DAG', metadata: { name, namespace: 'folder' }, spec: { parameters: [{ name: 'WHO', defaultValue: 'world' }], task } };
}

/** Runs `f` while a 10 ms ticker measures the longest gap between ticks of the event loop. */
async function ticking<T>(f: () => Promise<T>): Promise<{ value: T; ticks: number; worstGapMs: number }> {
  let last = performance.now();
  let ticks = 0;
  let worstGapMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worstGapMs = Math.max(worstGapMs, now - last);
    last = now;
    ticks++;
  }, 10);
  try {
    const value = await f();
    return { value, ticks, worstGapMs: Math.max(worstGapMs, performance.now() - last) };
  } finally {
    clearInterval(timer);
  }
}

let db: TestDatabase;
const dirs: string[] = [];
function folderWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kontroler-folder-worker-'));
  dirs.push(dir);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
const strip = (reports: FolderReport[]) => reports.map((r) => ({ ...r, file: r.file.slice(r.file.lastIndexOf('/') + 1), errors: r.errors.map((e) => ({ ...e, source: e.source?.slice(e.source.lastIndexOf('/') + 1) })), warnings: r.warnings.length }));

before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db.drop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('a large file loads in the worker thread while the event loop keeps turning; the DAG is stored intact', async (t) => {
  const text = JSON.stringify(layeredDag('huge', N));
  const dir = folderWith({ 'huge.json': text });
  const worker = dagFolderWorker();
  const folder = new DagFolder({ dir, pool: db.pool, log: () => undefined, worker });
  try {
    const { value: reports, ticks, worstGapMs } = await ticking(() => folder.start());
    t.diagnostic(`${(text.length / 1048576).toFixed(1)} MiB file: ${ticks} ticks, longest gap ${worstGapMs.toFixed(0)} ms`);
    assert.deepEqual(reports.map((r) => [r.errors, r.applied]), [[[], [{ kind: 'DAG', namespace: 'folder', name: 'huge', version: 1, created: true }]]]);
    assert.equal(worker.started, 1, 'the worker thread did the work');
    assert.ok(ticks >= 5, `only ${ticks} ticks while the file loaded`);
    assert.ok(worstGapMs < 500, `the event loop stood still for ${worstGapMs.toFixed(0)} ms`);
  } finally {
    await folder.stop();
    await worker.close();
  }
  const stored = await getDagVersion(db.pool, 'folder', 'huge');
  const expected = resolveDag(loadValidatedResources(text).resources[0] as DagResource, () => undefined).definition as DagDefinition;
  assert.equal(stored?.hash, specHash(expected));
  assert.deepEqual(stored?.definition, expected);
  assert.equal(stored?.dag.source.endsWith('huge.json'), true);
});

test('a large invalid file is reported as it is inline (same errors, lines, columns, warnings)', async () => {
  const files = {
    'bad.json': JSON.stringify(layeredDag('bad', N, true)),
    'mixed.yaml': `apiVersion: ${API_VERSION}\nkind: DagTask\nmetadata: {name: shared, namespace: folder}\nspec: {image: x, command: [run]}\n---\n` +
      `apiVersion: ${API_VERSION}\nkind: DAG\nmetadata: {name: withref, namespace: folder}\nspec:\n  task:\n  - {name: r, taskRef: {name: shared, version: 1}}\n` +
      `  - {name: big, image: x, command: [run], args: ["${'z'.repeat(300_000)}"]}\n`,
  };
  const worker = dagFolderWorker();
  const viaWorker = new DagFolder({ dir: folderWith(files), pool: db.pool, log: () => undefined, worker });
  const inline = new DagFolder({ dir: folderWith(files), pool: db.pool, log: () => undefined });
  try {
    const a = strip(await viaWorker.start());
    const b = strip(await inline.start());
    assert.equal(worker.started, 1);
    assert.ok((a.find((r) => r.file === 'bad.json')?.errors.length ?? 0) >= 24, 'the unknown runAfter targets are reported');
    assert.deepEqual(
      a.map((r) => ({ ...r, applied: r.applied.map((x) => x.name) })),
      b.map((r) => ({ ...r, applied: r.applied.map((x) => x.name) })),
    );
    assert.deepEqual(a.find((r) => r.file === 'mixed.yaml')?.applied.map((x) => x.name), ['shared', 'withref']);
  } finally {
    await viaWorker.stop();
    await inline.stop();
    await worker.close();
  }
});
