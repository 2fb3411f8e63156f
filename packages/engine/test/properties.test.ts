// Property-based tests of the engine's invariants over random DAGs and random outcomes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decide, initialRunState, isActiveAttempt, isTerminalRun, isTerminalTask, type RunState } from '@kontroler/engine';
import { TRIGGER_RULES, type TriggerRule } from '@kontroler/core';
import { dag, type TaskInput } from './helpers.js';

const arbDag = fc.integer({ min: 1, max: 10 }).chain((n) =>
  fc.tuple(
    ...Array.from({ length: n }, (_, i) =>
      fc.record({
        deps: fc.subarray(Array.from({ length: i }, (_, j) => `t${j}`)),
        retryLimit: fc.integer({ min: 0, max: 3 }),
        codes: fc.option(fc.subarray([1, 2, 3], { minLength: 1 }), { nil: undefined }),
        rule: fc.constantFrom<TriggerRule>(...TRIGGER_RULES),
        delay: fc.integer({ min: 0, max: 5 }),
        timeout: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
      }),
    ),
  ).map((specs) =>
    dag(
      specs.map(
        (s, i): TaskInput => ({
          name: `t${i}`,
          runAfter: s.deps,
          retryLimit: s.retryLimit,
          triggerRule: s.rule,
          retryDelay: { delaySeconds: s.delay, factor: 2, maxDelaySeconds: 30 },
          ...(s.codes ? { retryCodes: s.codes } : {}),
          ...(s.timeout ? { timeoutSeconds: s.timeout } : {}),
        }),
      ),
    ),
  ),
);

// A script of choices the simulated world makes: which active attempt ends next and how.
const arbWorld = fc.array(
  fc.record({ pick: fc.nat(), code: fc.constantFrom(0, 0, 0, 1, 2, 3, 137), advance: fc.integer({ min: 0, max: 30_000 }), cancel: fc.double({ min: 0, max: 1, noNaN: true }) }),
  { minLength: 200, maxLength: 200 },
);

test('invariants: dependencies first, bounded attempts, one active attempt per task, every run terminates', () => {
  fc.assert(
    fc.property(arbDag, arbWorld, fc.boolean(), (def, world, mayCancel) => {
      const spec = new Map(def.tasks.map((t) => [t.name, t]));
      let now = 0;
      let s: RunState = initialRunState(def);
      let r = decide(def, s, { type: 'run:tick' }, now);
      for (let i = 0; !isTerminalRun(r.state.status); i++) {
        assert.ok(i < 2000, 'run must terminate');
        const prev = s;
        s = r.state;
        for (const c of r.commands) {
          if (c.type !== 'attempt:start') continue;
          const t = spec.get(c.task)!;
          // A task starts only once its trigger rule is met by upstream outcomes.
          const ups = t.runAfter.map((u) => s.tasks.get(u)!.status);
          if (t.triggerRule === 'AllSucceeded') assert.ok(ups.every((u) => u === 'succeeded'), `${c.task} started before its dependencies`);
          else assert.ok(ups.length === 0 || ups.some((u) => isTerminalTask(u)), `${c.task} started with no upstream done`);
          assert.ok(c.attempt <= t.retryLimit + 1, 'attempts bounded by backoff.limit');
          const all = s.tasks.get(c.task)!.attempts;
          assert.equal(c.attempt, all.length, 'the started attempt is the newest one');
          assert.ok(all.slice(0, -1).every((a) => !isActiveAttempt(a.status)), 'attempt N+1 only after attempt N ended');
          assert.ok(prev.tasks.get(c.task)!.attempts.length < c.attempt, 'each attempt started once');
        }
        for (const t of [...s.tasks.values()]) {
          assert.ok(t.attempts.filter((a) => isActiveAttempt(a.status)).length <= 1);
        }
        const w = world[i % world.length]!;
        const active = [...s.tasks.values()].filter((t) => t.status === 'running');
        if (mayCancel && w.cancel < 0.02) {
          r = decide(def, s, { type: 'run:cancel' }, now);
        } else if (active.length > 0) {
          const t = active[w.pick % active.length]!;
          const a = t.attempts[t.attempts.length - 1]!;
          now += 1;
          r = a.killReason
            ? decide(def, s, { type: 'attempt:exited', task: t.name, attempt: a.attempt, at: now, reason: 'Killed' }, now)
            : decide(def, s, { type: 'attempt:exited', task: t.name, attempt: a.attempt, at: now, exitCode: w.code }, now);
        } else {
          now += Math.max(1, w.advance);
          r = decide(def, s, { type: 'run:tick' }, now);
        }
      }
      const end = r.state;
      assert.ok([...end.tasks.values()].every((t) => isTerminalTask(t.status)), 'terminal run: every task terminal');
      const anyFailed = [...end.tasks.values()].some((t) => t.status === 'failed');
      if (end.status === 'succeeded') assert.ok(!anyFailed);
      if (end.status === 'failed') assert.ok(anyFailed);
    }),
    { numRuns: 400 },
  );
});
