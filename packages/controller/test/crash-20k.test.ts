// A 20,000-task run whose controller process is SIGKILLed three times mid-run (at 20 %, 50 % and
// 80 % of its tasks started) and resumed each time by a new process: the run succeeds and every
// task was started exactly once (the ledger runtime records every start call the controllers
// made), with one attempt each. Real PostgreSQL, real processes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getRun } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { readLedger } from './crash/ledger-runtime.js';
import { definition, startRun, task } from './fixtures.js';

const CHILD = fileURLToPath(new URL('./crash/ledger-controller.js', import.meta.url));
const LAYERS = 50;
const WIDTH = 400;
const TASKS = LAYERS * WIDTH;
const DEADLINE_MS = 110_000;

let db: TestDatabase;
let dir: string;
before(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'kontroler-crash20k-'));
});
after(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

interface Child {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<void>;
}

function controller(ledger: string): Child {
  const proc = spawn(process.execPath, [CHILD, db.url, ledger], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return { proc, output: () => out, exited };
}

/** Polls `check` until it holds; fails with `what` (and the child's output) at the deadline. */
async function until(what: string, check: () => Promise<boolean> | boolean, deadline: number, child?: Child): Promise<void> {
  for (;;) {
    if (await check()) return;
    assert.ok(Date.now() < deadline, `${what} did not happen in time${child ? `; controller output:\n${child.output().slice(-3000)}` : ''}`);
    assert.ok(child === undefined || child.proc.exitCode === null, `the controller exited before ${what}:\n${child?.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test(`a ${TASKS}-task run survives three SIGKILLs of its controller: every task started exactly once`, async () => {
  const tasks = [];
  for (let l = 0; l < LAYERS; l++) {
    for (let w = 0; w < WIDTH; w++) {
      tasks.push(task(`l${l}w${w}`, l === 0 ? [] : [...new Set([`l${l - 1}w${w}`, `l${l - 1}w${(w + 1) % WIDTH}`])]));
    }
  }
  const run = await startRun(db.pool, definition('crash20k', tasks));
  const ledger = join(dir, 'ledger');
  const deadline = Date.now() + DEADLINE_MS;
  const outputs: string[] = [];
  for (const share of [0.2, 0.5, 0.8]) {
    const c = controller(ledger);
    await until(`${share * 100} % of the tasks starting`, () => readLedger(ledger).length >= share * TASKS, deadline, c);
    c.proc.kill('SIGKILL');
    await c.exited;
    outputs.push(c.output());
    const started = readLedger(ledger).length;
    assert.ok(started < TASKS, `killed mid-run (${started} of ${TASKS} started)`);
    assert.notEqual((await getRun(db.pool, run.id))?.status, 'succeeded');
  }
  const last = controller(ledger);
  try {
    await until('the run ending', async () => ['succeeded', 'failed', 'canceled'].includes((await getRun(db.pool, run.id))?.status ?? ''), deadline, last);
  } finally {
    last.proc.kill('SIGTERM');
    await last.exited;
  }
  outputs.push(last.output());
  assert.equal((await getRun(db.pool, run.id))?.status, 'succeeded', last.output().slice(-3000));

  const lines = readLedger(ledger);
  assert.equal(lines.length, TASKS, 'one start per task: no task started twice, none missed');
  assert.equal(new Set(lines.map(([t]) => t)).size, TASKS);
  assert.ok(lines.every(([, a]) => a === 1), 'every start was attempt 1');
  const { rows } = await db.pool.query<{ n: number; succeeded: number; max: number }>(
    `select count(*)::int as n, count(*) filter (where status = 'succeeded')::int as succeeded, max(attempt)::int as max from attempts where run_id = $1`,
    [run.id],
  );
  assert.deepEqual(rows[0], { n: TASKS, succeeded: TASKS, max: 1 });
  // Each new process logged the run's size and memory estimate when it claimed it.
  for (const out of outputs.slice(1)) assert.match(out, new RegExp(`run ${run.id}: ${TASKS} tasks, \\d+ attempts, \\d+ active; loaded in \\d+ ms.*about [\\d.]+ MiB of memory`));
});
