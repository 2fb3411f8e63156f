// Skip reasons say what happened upstream: a task after a false `when` is not "UpstreamFailed".
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, initialRunState, type DecideOptions, type RunEvent, type RunState } from '@kontroler/engine';
import type { DagDefinition } from '@kontroler/core';
import { dag, type TaskInput } from './helpers.js';

const ctx: DecideOptions = { context: { runId: '1', runName: 'r-1', params: {}, secretParams: [] } };
const exited = (task: string, exitCode = 0): RunEvent => ({ type: 'attempt:exited', task, attempt: 1, at: 1, exitCode });

function runTo(def: DagDefinition, events: RunEvent[]): RunState {
  let r = decide(def, initialRunState(def), { type: 'run:tick' }, 0, ctx);
  for (const ev of events) r = decide(def, r.state, ev, 1, ctx);
  return r.state;
}

interface Case {
  name: string;
  tasks: TaskInput[];
  events: RunEvent[];
  /** Expected reason of each named task (all skipped unless `status` says otherwise). */
  reasons: Record<string, string>;
}

const cases: Case[] = [
  {
    name: 'after a false when: UpstreamSkipped naming the skipped upstream',
    tasks: [{ name: 'gate', when: 'false' }, { name: 'next', runAfter: ['gate'] }],
    events: [],
    reasons: { gate: 'ConditionFalse', next: 'UpstreamSkipped: gate' },
  },
  {
    name: 'a chain after a false when names the task just before',
    tasks: [{ name: 'gate', when: 'false' }, { name: 'b', runAfter: ['gate'] }, { name: 'c', runAfter: ['b'] }],
    events: [],
    reasons: { b: 'UpstreamSkipped: gate', c: 'UpstreamSkipped: b' },
  },
  {
    name: 'after a failure: UpstreamFailed, down the whole chain',
    tasks: [{ name: 'a' }, { name: 'b', runAfter: ['a'] }, { name: 'c', runAfter: ['b'] }],
    events: [exited('a', 1)],
    reasons: { b: 'UpstreamFailed', c: 'UpstreamFailed' },
  },
  {
    name: 'a false when and a failure in the same decision: the failure wins, whatever the order',
    tasks: [{ name: 'p' }, { name: 'gate', runAfter: ['p'], when: 'false' }, { name: 'bad', runAfter: ['p'], when: 'int("x") > 0' }, { name: 'j', runAfter: ['gate', 'bad'] }],
    events: [exited('p')],
    reasons: { gate: 'ConditionFalse', j: 'UpstreamFailed' },
  },
  {
    name: 'a skip that came from a failure further up stays UpstreamFailed',
    tasks: [{ name: 'a' }, { name: 'b', runAfter: ['a'] }, { name: 'gate', runAfter: ['a'], triggerRule: 'AllDone', when: 'false' }, { name: 'j', runAfter: ['gate', 'b'] }],
    events: [exited('a', 1)],
    reasons: { b: 'UpstreamFailed', gate: 'ConditionFalse', j: 'UpstreamFailed' },
  },
  {
    name: 'skipped earlier, before a later failure: the reason says what it followed',
    tasks: [{ name: 'a' }, { name: 'gate', when: 'false' }, { name: 'j', runAfter: ['gate', 'a'] }],
    events: [exited('a', 1)],
    reasons: { j: 'UpstreamSkipped: gate' },
  },
  {
    name: 'two skipped upstream tasks: the first in runAfter order is named',
    tasks: [{ name: 'x', when: 'false' }, { name: 'y', when: 'false' }, { name: 'j', runAfter: ['y', 'x'] }],
    events: [],
    reasons: { j: 'UpstreamSkipped: y' },
  },
  {
    name: 'AnySucceeded and AnyFailed keep their own reasons',
    tasks: [{ name: 'x', when: 'false' }, { name: 'any', runAfter: ['x'], triggerRule: 'AnySucceeded' }, { name: 'onfail', runAfter: ['x'], triggerRule: 'AnyFailed' }],
    events: [],
    reasons: { any: 'NoUpstreamSucceeded', onfail: 'NoUpstreamFailed' },
  },
];

describe('skip reasons', () => {
  for (const c of cases) {
    test(c.name, () => {
      const state = runTo(dag(c.tasks), c.events);
      for (const [name, reason] of Object.entries(c.reasons)) {
        assert.equal(state.tasks.get(name)?.reason, reason, name);
        if (reason !== 'ConditionFalse') assert.equal(state.tasks.get(name)?.status, 'skipped', name);
      }
    });
  }
});
