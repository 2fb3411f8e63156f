// Attempt specs for runtime tests: unique task names, everything else a plain default.
import type { AttemptSpec } from '@kontroler/engine';

let counter = 0;

/** A spec with a unique task name (per process); override what the test is about. */
export function attemptSpec(over: Partial<AttemptSpec> = {}): AttemptSpec {
  counter++;
  return {
    runId: 'run-1',
    task: `task-${process.pid}-${counter}`,
    attempt: 1,
    namespace: 'default',
    dagName: 'dag-1',
    image: 'alpine:latest',
    command: [],
    args: [],
    env: {},
    ...over,
  };
}
