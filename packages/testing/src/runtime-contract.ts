// The contract every TaskRuntime keeps (local processes, pods, the fake): start, exit codes,
// logs, kill, deadlines, adoption by a new instance, never running an attempt twice. Each
// runtime's test folder runs it with a factory for its runtime.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttemptKey, AttemptSpec, TaskRuntime } from '@kontroler/engine';
import { attemptSpec } from './attempt-spec.js';
import { EventRecorder, type EventRecorderOptions } from './event-recorder.js';
import type { FakeScript } from './fake-runtime.js';

/** A runtime under test; `reopen` makes another instance over the same attempts (a restart). */
export interface ContractSubject {
  /** A runtime over the subject's attempts. Each call may return a new instance; all see the same attempts. */
  open(): TaskRuntime;
  /** Closes every runtime opened and removes what the subject made. */
  cleanup(): Promise<void>;
  /** The namespace of the contract's attempts (default `default`). */
  readonly namespace?: string;
  /**
   * The image of the contract's attempts (default CONTRACT_IMAGE): a runtime that runs images needs
   * one it has (no registry is reachable from the test machines). It must have /bin/sh, printf and sleep.
   */
  readonly image?: string;
  /** What this runtime may differ in; every other clause holds for every runtime. */
  readonly differences?: RuntimeDifferences;
}

/**
 * The few ways a runtime may differ from the others, each for a reason outside its control.
 * Absent fields mean: no difference.
 */
export interface RuntimeDifferences {
  /**
   * Event times (`at`) are truncated to this many ms. Kubernetes reports a pod's times as
   * RFC 3339 whole seconds (metav1.Time), so a pod stopped just after its deadline may report a
   * time in the deadline's own second, before the deadline itself. Default 1.
   */
  readonly timeResolutionMs?: number;
  /**
   * How long the contract waits for an event (default EVENT_WAIT_LIMIT_MS). A pod goes through
   * an apiserver, a scheduler and a node before it runs; a process does not.
   */
  readonly eventWaitMs?: number;
}

/** `at` truncated to the resolution: the earliest time a runtime of that resolution may report for it. */
export function truncatedTime(at: number, resolutionMs: number): number {
  return Math.floor(at / resolutionMs) * resolutionMs;
}

/** How far in the future the deadline test sets `deadlineAt`. */
export const CONTRACT_DEADLINE_MS = 300;

/** The attempts' behaviour travels in their environment, so every runtime runs the same script. */
const OUTPUT_VAR = 'CONTRACT_OUTPUT';
const EXIT_VAR = 'CONTRACT_EXIT';
/** When set, the attempt writes it as its output `answer` ($KONTROLER_OUTPUTS/answer). */
const ANSWER_VAR = 'CONTRACT_ANSWER';

/** The image of contract attempts unless the subject names another. */
export const CONTRACT_IMAGE = 'busybox:1.36';

/**
 * The shell script of every contract attempt: writes $CONTRACT_ANSWER as its output `answer` when
 * set, prints $CONTRACT_OUTPUT, then exits with $CONTRACT_EXIT, or waits to be stopped when it is empty.
 */
export const CONTRACT_SCRIPT = `if [ -n "$${ANSWER_VAR}" ]; then printf '%s\\n' "$${ANSWER_VAR}" > "$KONTROLER_OUTPUTS/answer"; fi; printf '%s' "$${OUTPUT_VAR}"; if [ -z "$${EXIT_VAR}" ]; then exec sleep 600; fi; exit "$${EXIT_VAR}"`;

/** The same behaviour for a FakeRuntime: `new FakeRuntime(contractFakeScript)`. */
export const contractFakeScript: FakeScript = (spec) => {
  const exit = spec.env[EXIT_VAR];
  const answer = spec.env[ANSWER_VAR];
  const declared = spec.outputs ?? [];
  const written: Record<string, string> = answer && declared.includes('answer') ? { answer } : {};
  const outputs = declared.length === 0 ? {} : { outputs: written };
  return { output: spec.env[OUTPUT_VAR] ?? '', ...(exit ? { exitCode: Number(exit) } : {}), ...outputs };
};

function contractSpec(namespace: string, image: string, output: string, exitCode: number | undefined, over: Partial<AttemptSpec> = {}): AttemptSpec {
  return attemptSpec({
    runId: `contract-${process.pid}`,
    namespace,
    image,
    script: CONTRACT_SCRIPT,
    ...over,
    env: { [OUTPUT_VAR]: output, [EXIT_VAR]: exitCode === undefined ? '' : String(exitCode), ...over.env },
  });
}

/** An attempt no runtime was asked to start. */
const NEVER_STARTED: AttemptKey = { runId: `contract-${process.pid}`, task: 'never-started', attempt: 1 };

const keyOf = (s: AttemptSpec): AttemptKey => ({ runId: s.runId, task: s.task, attempt: s.attempt });

/** Registers the contract's tests (node:test) for the runtime `makeSubject` builds, one per test. */
export function runtimeContract(name: string, makeSubject: () => Promise<ContractSubject>): void {
  describe(`TaskRuntime contract: ${name}`, () => {
    let subject: ContractSubject;
    let recorderOptions: EventRecorderOptions = {};
    let resolutionMs = 1;
    before(async () => {
      subject = await makeSubject();
      const waitLimitMs = subject.differences?.eventWaitMs;
      recorderOptions = waitLimitMs !== undefined ? { waitLimitMs } : {};
      resolutionMs = subject.differences?.timeResolutionMs ?? 1;
    });
    after(async () => {
      await subject.cleanup();
    });

    /** Records every event of `rt` with the subject's wait limit. */
    const record = (rt: TaskRuntime): EventRecorder => new EventRecorder(rt, recorderOptions);
    const spec = (output: string, exitCode: number | undefined, over: Partial<AttemptSpec> = {}): AttemptSpec =>
      contractSpec(subject.namespace ?? 'default', subject.image ?? CONTRACT_IMAGE, output, exitCode, over);

    /** Opens a runtime, records its events and starts one contract attempt on it. */
    async function startOne(output: string, exitCode: number | undefined, over: Partial<AttemptSpec> = {}) {
      const rt = subject.open();
      const rec = record(rt);
      const s = spec(output, exitCode, over);
      await rt.start(s);
      return { rt, rec, s };
    }

    test('start: started, the output as log events, exited with the exit code', async () => {
      const rt = subject.open();
      const rec = record(rt);
      const s0 = spec('all good\n', 0);
      const s3 = spec('not good\n', 3);
      await Promise.all([rt.start(s0), rt.start(s3)]);
      const [e0, e3] = await Promise.all([rec.exited(s0), rec.exited(s3)]);
      await rec.started(s0);
      await rec.logContains(s0, 'all good\n');
      await rec.logContains(s3, 'not good\n');
      assert.equal(e0.exitCode, 0);
      assert.equal(e0.reason, 'Completed');
      assert.equal(e3.exitCode, 3);
      assert.equal(e3.reason, 'Error');
      assert.equal(rec.count('exited', s0), 1, 'one exited event');
      assert.equal(rec.count('started', s0), 1, 'one started event');
      rec.unsubscribe();
    });

    test('never twice: starting an attempt again adopts it, its command runs once', async () => {
      const rt = subject.open();
      const rec = record(rt);
      const s = spec('once\n', 0);
      await Promise.all([rt.start(s), rt.start(s)]);
      await rec.exited(s);
      await rt.start(s);
      rec.unsubscribe();
      const again = subject.open();
      const rec2 = record(again);
      const seen = await again.adopt(keyOf(s), 0);
      assert.equal(seen.state, 'exited');
      assert.equal(seen.state === 'exited' && seen.exitCode, 0);
      await rec2.logContains(s, 'once\n');
      assert.equal(rec2.logText(s).split('once\n').length - 1, 1, `the output appears once in the log: ${JSON.stringify(rec2.logText(s))}`);
      rec2.unsubscribe();
    });

    test('kill: a running attempt ends with the kill reason; killing again or an unknown attempt is a no-op', async () => {
      const { rt, rec, s } = await startOne('waiting\n', undefined);
      await rec.logContains(s, 'waiting\n');
      await rt.kill(keyOf(s), 'Canceled');
      const e = await rec.exited(s);
      assert.equal(e.reason, 'Canceled');
      assert.notEqual(e.exitCode, 0, 'a killed attempt does not report success');
      await rt.kill(keyOf(s), 'Again');
      await rt.kill(NEVER_STARTED, 'Canceled');
      const seen = await rt.adopt(keyOf(s), 0);
      assert.equal(seen.state === 'exited' && seen.reason, 'Canceled', 'the first reason wins');
      await rec.exited(s);
      assert.equal(rec.events.filter((ev) => ev.type === 'exited' && ev.key.task === NEVER_STARTED.task).length, 0);
      rec.unsubscribe();
    });

    test('deadline: an attempt still running at deadlineAt is stopped with DeadlineExceeded', async () => {
      const { rec, s } = await startOne('slow\n', undefined, { deadlineAt: Date.now() + CONTRACT_DEADLINE_MS });
      const e = await rec.exited(s);
      assert.equal(e.reason, 'DeadlineExceeded');
      assert.notEqual(e.exitCode, 0);
      const deadline = truncatedTime(s.deadlineAt ?? 0, resolutionMs);
      assert.ok(e.at >= deadline, `stopped at ${e.at}, not before the deadline ${s.deadlineAt} (at a resolution of ${resolutionMs} ms: ${deadline})`);
      rec.unsubscribe();
    });

    test('deadline already passed: the attempt never runs and ends with DeadlineExceeded', async () => {
      const { rec, s } = await startOne('must not run\n', 0, { deadlineAt: Date.now() - 1 });
      const e = await rec.exited(s);
      assert.equal(e.reason, 'DeadlineExceeded');
      assert.equal(e.exitCode, undefined);
      assert.equal(rec.logText(s).includes('must not run'), false);
      rec.unsubscribe();
    });

    test('adopt: a new instance sees a running attempt, can kill it, and knows nothing of an unknown one', async () => {
      const { rt: first, rec: rec1, s } = await startOne('adopt me\n', undefined);
      await rec1.logContains(s, 'adopt me\n');
      rec1.unsubscribe();
      await first.close();
      const second = subject.open();
      const rec2 = record(second);
      const seen = await second.adopt(keyOf(s), 0);
      assert.equal(seen.state, 'running');
      await second.kill(keyOf(s), 'Canceled');
      assert.equal((await rec2.exited(s)).reason, 'Canceled');
      const unknown = await second.adopt(NEVER_STARTED, 0);
      assert.equal(unknown.state, 'unknown');
      rec2.unsubscribe();
    });

    test('logs: adopt delivers the log from the offset the store already holds', async () => {
      const { rt, rec, s } = await startOne('first line\nsecond line\n', 0);
      await rec.exited(s);
      await rec.logContains(s, 'second line\n');
      const whole = rec.logText(s);
      rec.unsubscribe();
      const offset = Buffer.byteLength(whole.slice(0, whole.indexOf('second line')));
      const again = subject.open();
      const rec2 = record(again);
      const seen = await again.adopt(keyOf(s), offset);
      assert.equal(seen.state, 'exited');
      await rec2.exited(s);
      assert.equal(rec2.logEvents(s)[0]?.offset, offset, 'the first log event starts at the offset');
      assert.equal(rec2.logText(s, offset), 'second line\n');
      rec2.unsubscribe();
    });

    test('outputs: what a succeeded attempt wrote to $KONTROLER_OUTPUTS comes with exited and with adopt; a failed one reports none', async () => {
      const outputs = ['answer', 'unwritten'];
      const { rec, s } = await startOne('', 0, { outputs, env: { [ANSWER_VAR]: '42' } });
      const e = await rec.exited(s);
      assert.deepEqual(e.outputs, { answer: '42' }, 'the written output without its trailing newline; an unwritten one has no value');
      assert.equal(e.outputError, undefined);
      rec.unsubscribe();
      const again = subject.open();
      const rec2 = record(again);
      const seen = await again.adopt(keyOf(s), 0);
      assert.deepEqual(seen.state === 'exited' ? seen.outputs : seen.state, { answer: '42' }, 'an adopter reports the same outputs');
      rec2.unsubscribe();
      const { rec: rec3, s: failed } = await startOne('', 3, { outputs, env: { [ANSWER_VAR]: '42' } });
      const e3 = await rec3.exited(failed);
      assert.equal(e3.exitCode, 3);
      assert.equal(e3.outputs, undefined, 'a failed attempt has no outputs');
      rec3.unsubscribe();
    });

    test('release: an ended attempt is forgotten', async () => {
      const { rt, rec, s } = await startOne('bye\n', 0);
      await rec.exited(s);
      await rt.release(keyOf(s));
      await rt.release(keyOf(s));
      assert.equal((await rt.adopt(keyOf(s), 0)).state, 'unknown');
      rec.unsubscribe();
    });
  });
}
