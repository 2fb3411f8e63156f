// DAG definitions for store tests: a chain of tasks, each after the one before it.
import type { DagDefinition } from '@kontroler/core';

/** `tasks` in a chain (each runs after the one before), in namespace `default`. */
export function chainDefinition(name: string, tasks: readonly string[] = ['a'], suspended = false): DagDefinition {
  return {
    namespace: 'default', name, timezone: 'UTC', concurrencyPolicy: 'Allow', catchUp: 1, suspended, parameters: [],
    tasks: tasks.map((t, i) => ({
      name: t, runAfter: i === 0 ? [] : [tasks[i - 1]!], image: 'alpine', command: ['true'], args: [], retryLimit: 0,
      retryDelay: { delaySeconds: 0, factor: 2, maxDelaySeconds: 300 }, triggerRule: 'AllSucceeded', parameters: [],
    })),
  };
}
