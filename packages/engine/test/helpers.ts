import type { DagDefinition, ResolvedTask } from '@kontroler/core';

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
