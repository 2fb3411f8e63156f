// DAG definitions for store tests: a chain of tasks, each after the one before it.
import type { DagDefinition } from '@kontroler/core';
import { dagDefinition, resolvedTask } from '@kontroler/testing';

/** `tasks` in a chain (each runs after the one before), in namespace `default`. */
export function chainDefinition(name: string, tasks: readonly string[] = ['a'], suspended = false): DagDefinition {
  return dagDefinition('default', name, tasks.map((t, i) => resolvedTask(t, i === 0 ? [] : [tasks[i - 1]!])), { suspended });
}
