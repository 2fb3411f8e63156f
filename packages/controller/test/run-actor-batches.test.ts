// A run actor feeds at most maxEventsPerDecision queued events to one decision (and one save), so
// the end of a huge fan-out is processed in slices instead of one event-loop-blocking decision.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_EVENTS_PER_DECISION, RunActor, silentLog, envSecretResolver } from '@kontroler/controller';
import type { PoolLike } from '@kontroler/store';
import { claimRuns, loadRun } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { FakeRuntime } from '@kontroler/testing';
import { definition, startRun, task } from './fixtures.js';

let db: TestDatabase;
before(async () => { db = await createTestDatabase(); });
after(async () => { await db.drop(); });

/** The pool, recording how many attempt rows each state save writes (its 11th parameter). */
function recordingPool(pool: PoolLike, saves: number[]): PoolLike {
  return {
    query: (text: string, values?: readonly unknown[]) => {
      if (text.includes('insert into attempts') && Array.isArray(values?.[10])) saves.push(values[10].length);
      return pool.query(text, values);
    },
    connect: () => pool.connect(),
    end: () => pool.end(),
  } as PoolLike;
}

test('at most maxEventsPerDecision events per decision: 3 exits at a limit of 1 are three saves', async () => {
  assert.equal(MAX_EVENTS_PER_DECISION, 10_000, 'the documented default');
  const run = await startRun(db.pool, definition('slices', [task('root'), task('c1', ['root']), task('c2', ['root']), task('c3', ['root'])]));
  await claimRuns(db.pool, 'owner-slices', 60_000, 10);
  const d = (await loadRun(db.pool, run.id))!;
  const saves: number[] = [];
  let ended = false;
  const actor = new RunActor(d.run, d.definition, d.state, {
    pool: recordingPool(db.pool, saves),
    owner: 'owner-slices',
    runtime: new FakeRuntime(), // not subscribed: the test feeds the events
    now: Date.now,
    secrets: envSecretResolver({}),
    log: silentLog,
    maxEventsPerDecision: 1,
    onDone: (_id, why) => { ended = why === 'ended'; },
  });
  await actor.resume(d.logSizes, d.active);
  await actor.settled();
  const at = Date.now();
  actor.push({ type: 'attempt:exited', task: 'root', attempt: 1, at, exitCode: 0, reason: 'Completed' });
  await actor.settled();
  assert.deepEqual(saves, [1, 4], 'root started; then root ended and c1..c3 started');
  // The first exit starts a decision at once; the other two wait (one slice of 2 without the limit).
  for (const t of ['c1', 'c2', 'c3']) actor.push({ type: 'attempt:exited', task: t, attempt: 1, at, exitCode: 0, reason: 'Completed' });
  await actor.settled();
  assert.deepEqual(saves.slice(2), [1, 1, 1]);
  assert.ok(ended, 'the run ended');
  actor.stop();
});

test('past the limit, the rest waits for the next decision: 4 queued exits at a limit of 2', async () => {
  const run = await startRun(db.pool, definition('slices4', [task('root'), ...['c1', 'c2', 'c3', 'c4', 'c5'].map((n) => task(n, ['root']))]));
  await claimRuns(db.pool, 'owner-slices4', 60_000, 10);
  const d = (await loadRun(db.pool, run.id))!;
  const saves: number[] = [];
  const actor = new RunActor(d.run, d.definition, d.state, {
    pool: recordingPool(db.pool, saves),
    owner: 'owner-slices4',
    runtime: new FakeRuntime(),
    now: Date.now,
    secrets: envSecretResolver({}),
    log: silentLog,
    maxEventsPerDecision: 2,
    onDone: () => undefined,
  });
  await actor.resume(d.logSizes, d.active);
  await actor.settled();
  const at = Date.now();
  actor.push({ type: 'attempt:exited', task: 'root', attempt: 1, at, exitCode: 0, reason: 'Completed' });
  await actor.settled();
  for (const t of ['c1', 'c2', 'c3', 'c4', 'c5']) actor.push({ type: 'attempt:exited', task: t, attempt: 1, at, exitCode: 0, reason: 'Completed' });
  await actor.settled();
  assert.deepEqual(saves.slice(2), [1, 2, 2]);
  actor.stop();
});
