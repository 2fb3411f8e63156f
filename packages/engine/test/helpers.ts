import type { DagDefinition, ResolvedTask } from '@kontroler/core';
import { decideAll, initialRunState, taskMap, type Command, type DecideOptions, type RunEvent, type RunState } from '@kontroler/engine';

export type TaskInput = Partial<ResolvedTask> & { name: string };

export function task(t: TaskInput): ResolvedTask {
  return {
    runAfter: [],
    image: 'alpine',
    command: ['true'],
    args: [],
    retryLimit: 0,
    retryDelay: { delaySeconds: 0, factor: 2, maxDelaySeconds: 300 },
    triggerRule: 'AllSucceeded',
    parameters: [],
    ...t,
  };
}

export function dag(tasks: TaskInput[]): DagDefinition {
  return {
    namespace: 'default',
    name: 'test',
    timezone: 'UTC',
    concurrencyPolicy: 'Allow',
    catchUp: 1,
    suspended: false,
    parameters: [],
    tasks: tasks.map(task),
  };
}

/**
 * Drives a run decision by decision, keeping each step's commands. `fresh`: every decision starts
 * from a copy of the state (no cached run index), to compare against the cached path.
 */
export class RunDriver {
  state: RunState;
  commands: Command[] = [];
  constructor(
    readonly def: DagDefinition,
    readonly opts: DecideOptions = {},
    readonly fresh = false,
    startAt = 1,
  ) {
    this.state = initialRunState(def);
    this.step([{ type: 'run:tick' }], startAt);
  }
  step(events: RunEvent[], now = 1): Command[] {
    const from = this.fresh ? { ...this.state, tasks: taskMap([...this.state.tasks.values()]) } : this.state;
    const r = decideAll(this.def, from, events, now, this.opts);
    this.state = r.state;
    this.commands = [...r.commands];
    return this.commands;
  }
  task(name: string) {
    return this.state.tasks.get(name);
  }
}
