// A DagRun's status stays small at any run size: every task's detail up to
// DAGRUN_STATUS_DETAIL_MAX_TASKS tasks, beyond that counts and the failed and running tasks up to
// DAGRUN_STATUS_LIST_CAP; never more than DAGRUN_STATUS_MAX_BYTES of JSON (worst case and a
// 100,000-task run). Pure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { taskMap, type RunState, type TaskState } from '@kontroler/engine';
import {
  DAGRUN_STATUS_DETAIL_MAX_TASKS,
  DAGRUN_STATUS_LIST_CAP,
  DAGRUN_STATUS_MAX_BYTES,
  DAGRUN_STATUS_POD_MAX_BYTES,
  DAGRUN_STATUS_REASON_MAX_BYTES,
  DAGRUN_STATUS_URL_MAX_BYTES,
  clipJson,
  dagRunStatus,
  statusDiffers,
  summarizeTasks,
  type StatusRun,
} from '@kontroler/kube-operator';

const bytes = (o: unknown): number => Buffer.byteLength(JSON.stringify(o));
const run = (status: string, id = 5): StatusRun => ({ id, dagVersion: 2, status, createdAt: 500, startedAt: 1000, finishedAt: status === 'running' ? null : 9000 });
type Listed = Array<Record<string, unknown>>;

test('a small run: phase, progress, counts, the run path, and every task with phase, attempts, exit code, pod', () => {
  const tasks: TaskState[] = [
    { name: 'b', status: 'failed', reason: 'failed with exit code 2', attempts: [{ attempt: 1, status: 'failed', createdAt: 2000, startedAt: 2100, finishedAt: 3000, exitCode: 2, reason: 'Error', handle: 'ns/kr-5-b-1' }] },
    { name: 'a', status: 'succeeded', attempts: [{ attempt: 1, status: 'succeeded', createdAt: 1000, startedAt: 1100, finishedAt: 1900, exitCode: 0, reason: 'Completed', handle: 'ns/kr-5-a-1' }] },
    { name: 'c', status: 'skipped', reason: 'UpstreamFailed', attempts: [] },
  ];
  const s = dagRunStatus(run('failed'), summarizeTasks(tasks), 1);
  assert.equal(s.phase, 'Failed');
  assert.equal(s.progress, '1/3');
  assert.equal(s.message, 'failed: b');
  assert.equal(s.dagRunId, 5);
  assert.equal(s.taskTotal, 3);
  assert.deepEqual(s.taskCounts, { pending: 0, waiting: 0, running: 0, succeeded: 1, failed: 1, skipped: 1, canceled: 0 });
  assert.equal(s.runPath, '/api/v1/runs/5');
  assert.equal(s.runUrl, undefined, 'no public URL: no link');
  assert.equal(s.startTime, '1970-01-01T00:00:01Z');
  assert.equal(s.completionTime, '1970-01-01T00:00:09Z');
  const listed = s.tasks as Listed;
  assert.deepEqual(listed.map((t) => [t.name, t.phase, t.attempts, t.exitCode, t.pod]), [['a', 'Succeeded', 1, 0, 'kr-5-a-1'], ['b', 'Failed', 1, 2, 'kr-5-b-1'], ['c', 'Skipped', 0, undefined, undefined]]);
  assert.equal(listed[2]?.reason, 'UpstreamFailed');
  assert.equal(s.failedTasks, undefined, 'a small run lists its tasks once, in tasks[]');
  assert.ok(!statusDiffers(s, JSON.parse(JSON.stringify(s))), 'a status equal to the written one is not written again');
  assert.ok(statusDiffers({ ...s, extra: 1 }, s));
  const linked = dagRunStatus(run('running'), summarizeTasks(tasks), 1, { publicUrl: 'https://kontroler.example.com/' });
  assert.equal(linked.runUrl, 'https://kontroler.example.com/api/v1/runs/5');
  assert.equal(linked.message, '1/3 tasks succeeded');
  const long = `https://k.example.com/${'x'.repeat(DAGRUN_STATUS_URL_MAX_BYTES)}`;
  assert.equal(dagRunStatus(run('running'), summarizeTasks(tasks), 1, { publicUrl: long }).runUrl, undefined, 'a link over the limit is left out');
});

/** A task of the wide run: `root` failed, every other one skipped, some failed or running. */
function hugeRun(n: number): TaskState[] {
  const out: TaskState[] = [];
  for (let i = n - 1; i >= 0; i--) {
    // Defined out of name order, so the status must pick the first names, not the first seen.
    const name = `shard-${String(i).padStart(6, '0')}`;
    if (i % 1000 === 7) out.push({ name, status: 'failed', reason: `failed with exit code ${i % 256}`, attempts: [{ attempt: 1, status: 'failed', createdAt: 1000, startedAt: 1100, finishedAt: 2000, exitCode: i % 256, reason: 'Error', handle: `ns/kr-1-${name}-1` }] });
    else if (i % 1000 === 8) out.push({ name, status: 'running', attempts: [{ attempt: 1, status: 'running', createdAt: 1000, startedAt: 1100, handle: `ns/kr-1-${name}-1` }] });
    else out.push({ name, status: i % 2 === 0 ? 'skipped' : 'succeeded', reason: i % 2 === 0 ? 'UpstreamFailed' : undefined, attempts: [] } as TaskState);
  }
  return out;
}

test(`a 100,000-task run: counts and the first ${DAGRUN_STATUS_LIST_CAP} failed and running tasks, under ${DAGRUN_STATUS_MAX_BYTES} bytes`, () => {
  const n = 100_000;
  const tasks = hugeRun(n);
  const state: RunState = { status: 'failed', cancelRequested: false, startedAt: 1000, finishedAt: 9000, tasks: taskMap(tasks) };
  const s = dagRunStatus(run('failed', 1), summarizeTasks(state.tasks.values()), 3, { publicUrl: 'https://kontroler.example.com' });
  const size = bytes(s);
  assert.ok(size <= DAGRUN_STATUS_MAX_BYTES, `status of ${n} tasks is ${size} bytes`);
  assert.equal(s.taskTotal, n);
  const failed = tasks.filter((t) => t.status === 'failed').length;
  const running = tasks.filter((t) => t.status === 'running').length;
  assert.deepEqual(s.taskCounts, { pending: 0, waiting: 0, running, succeeded: (n - failed - running) / 2, failed, skipped: (n - failed - running) / 2, canceled: 0 });
  assert.equal(s.progress, `${(n - failed - running) / 2}/${n}`);
  assert.equal(s.tasks, undefined, 'no per-task detail past the limit');
  const names = (k: string): unknown[] => (s[k] as Listed).map((t) => t.name);
  const first = (st: string): string[] => tasks.filter((t) => t.status === st).map((t) => t.name).sort().slice(0, DAGRUN_STATUS_LIST_CAP);
  assert.deepEqual(names('failedTasks'), first('failed'));
  assert.deepEqual(names('runningTasks'), first('running'));
  assert.equal(s.failedTasksTruncated, true);
  assert.equal(s.runningTasksTruncated, true);
  assert.deepEqual((s.failedTasks as Listed)[0], { name: 'shard-000007', phase: 'Failed', attempts: 1, exitCode: 7, reason: 'failed with exit code 7', startTime: '1970-01-01T00:00:01Z', completionTime: '1970-01-01T00:00:02Z', pod: 'kr-1-shard-000007-1' });
  assert.equal(s.message, `failed: ${first('failed').slice(0, 5).join(', ')} and ${failed - 5} more`);
  assert.equal(s.runUrl, 'https://kontroler.example.com/api/v1/runs/1');
  // Lists that fit are not marked truncated.
  const few = summarizeTasks(hugeRun(2 * DAGRUN_STATUS_DETAIL_MAX_TASKS));
  const t = dagRunStatus(run('running'), few, 1);
  assert.equal(t.failedTasksTruncated, undefined);
  assert.equal((t.failedTasks as Listed).length, 1);
});

/** A task with every field at its longest. */
function worstTask(i: number, status: 'failed' | 'running'): TaskState {
  const name = `${String(i).padStart(5, '0')}${'n'.repeat(58)}`;
  const ended = status === 'failed';
  const attempts = Array.from({ length: 101 }, (_, k) => ({
    attempt: k + 1,
    status: ended || k < 100 ? ('failed' as const) : ('running' as const),
    createdAt: 253_402_300_799_000,
    startedAt: 253_402_300_799_000,
    ...(ended || k < 100 ? { finishedAt: 253_402_300_799_000 } : {}),
    exitCode: -255,
    reason: 'Error',
    handle: `ns/${'p'.repeat(400)}`,
  }));
  return { name, status, reason: '\u0001"é😀'.repeat(200), attempts };
}

test(`the worst case stays under ${DAGRUN_STATUS_MAX_BYTES} bytes: ${DAGRUN_STATUS_DETAIL_MAX_TASKS} tasks in detail, or ${DAGRUN_STATUS_LIST_CAP} failed and ${DAGRUN_STATUS_LIST_CAP} running past it`, () => {
  const path = `/api/v1/runs/${Number.MAX_SAFE_INTEGER}`;
  const opts = { publicUrl: `https://${'u'.repeat(DAGRUN_STATUS_URL_MAX_BYTES - path.length - 'https://.example.com'.length)}.example.com` };
  const detail = Array.from({ length: DAGRUN_STATUS_DETAIL_MAX_TASKS }, (_, i) => worstTask(i, 'failed'));
  const atLimit = dagRunStatus(run('failed', Number.MAX_SAFE_INTEGER), summarizeTasks(detail), Number.MAX_SAFE_INTEGER, opts);
  assert.equal((atLimit.tasks as Listed).length, DAGRUN_STATUS_DETAIL_MAX_TASKS, 'at the limit: every task in detail');
  assert.equal(Buffer.byteLength(String(atLimit.runUrl)), DAGRUN_STATUS_URL_MAX_BYTES, 'the longest link that fits is kept');
  assert.ok(bytes(atLimit) <= DAGRUN_STATUS_MAX_BYTES, `${bytes(atLimit)} bytes`);
  const reason = String((atLimit.tasks as Listed)[0]?.reason);
  assert.ok(Buffer.byteLength(JSON.stringify(reason)) - 2 <= DAGRUN_STATUS_REASON_MAX_BYTES && reason.endsWith('…'));
  assert.equal(Buffer.byteLength(String((atLimit.tasks as Listed)[0]?.pod)), DAGRUN_STATUS_POD_MAX_BYTES);

  const over = [...detail, worstTask(DAGRUN_STATUS_DETAIL_MAX_TASKS, 'failed'), ...Array.from({ length: DAGRUN_STATUS_LIST_CAP + 1 }, (_, i) => worstTask(1000 + i, 'running'))];
  const past = dagRunStatus(run('failed', Number.MAX_SAFE_INTEGER), summarizeTasks(over), Number.MAX_SAFE_INTEGER, opts);
  assert.equal(past.tasks, undefined, 'one task over the limit: no detail');
  assert.equal((past.failedTasks as Listed).length, DAGRUN_STATUS_LIST_CAP);
  assert.equal((past.runningTasks as Listed).length, DAGRUN_STATUS_LIST_CAP);
  assert.ok(bytes(past) <= DAGRUN_STATUS_MAX_BYTES, `${bytes(past)} bytes`);
});

test('clipJson cuts at whole characters to the byte limit of their JSON encoding, and marks the cut', () => {
  assert.equal(clipJson('abc', 3), 'abc', 'at the limit: kept whole');
  assert.equal(clipJson('abcd', 3), '…', 'the mark takes 3 bytes');
  assert.equal(clipJson('abcdefgh', 6), 'abc…');
  assert.equal(clipJson('😀😀😀', 8), '😀…', 'never half a surrogate pair');
  assert.equal(clipJson('\u0001\u0001x', 11), '\u0001…', 'escapes count as written (6 bytes each)');
  for (const s of ['x'.repeat(500), '"\\'.repeat(300), 'é'.repeat(300)]) {
    const c = clipJson(s, DAGRUN_STATUS_REASON_MAX_BYTES);
    assert.ok(Buffer.byteLength(JSON.stringify(c)) - 2 <= DAGRUN_STATUS_REASON_MAX_BYTES, c);
    assert.ok(Buffer.byteLength(JSON.stringify(c)) - 2 > DAGRUN_STATUS_REASON_MAX_BYTES - 12, 'cut close to the limit');
  }
});

test('summarizeTasks keeps the first names whatever the order tasks come in, and detail only up to the limit', () => {
  const names = Array.from({ length: 500 }, (_, i) => `t${String((i * 211) % 500).padStart(3, '0')}`);
  const tasks = names.map((name): TaskState => ({ name, status: 'failed', attempts: [] }));
  const s = summarizeTasks(tasks, { listCap: 7 });
  assert.deepEqual(s.failed.map((t) => t.name), ['t000', 't001', 't002', 't003', 't004', 't005', 't006']);
  assert.equal(s.counts.failed, 500);
  assert.equal(s.all, undefined);
  assert.equal(summarizeTasks(tasks.slice(0, DAGRUN_STATUS_DETAIL_MAX_TASKS)).all?.length, DAGRUN_STATUS_DETAIL_MAX_TASKS);
  assert.equal(summarizeTasks(tasks.slice(0, DAGRUN_STATUS_DETAIL_MAX_TASKS + 1)).all, undefined);
  assert.deepEqual(summarizeTasks([]).counts, { pending: 0, waiting: 0, running: 0, succeeded: 0, failed: 0, skipped: 0, canceled: 0 });
});
