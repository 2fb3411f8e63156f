// Shared test helpers: small resource builders. (The compatibility corpus is the kit's `compatDir`.)
import type { DagResource, TaskSpec } from '@kontroler/core';

/** A valid DAG; `tasks` replace the default two-task chain; `spec` fields are merged in. */
export function dag(spec: Partial<DagResource['spec']> = {}, tasks?: TaskSpec[]): DagResource {
  return {
    apiVersion: 'kontroler.greedykomodo/v1alpha1',
    kind: 'DAG',
    metadata: { name: 'sample', namespace: 'team-a' },
    spec: {
      parameters: [{ name: 'first', defaultValue: 'one' }, { name: 'token', defaultFromSecret: 'api-token' }],
      task: tasks ?? [
        { name: 'a', image: 'alpine:3.20', command: ['sh', '-c'], args: ['echo a'], parameters: ['first'] },
        { name: 'b', image: 'alpine:3.20', script: 'echo b', runAfter: ['a'] },
      ],
      ...spec,
    },
  };
}

/** An inline task with the required fields. */
export function task(name: string, extra: Partial<TaskSpec> = {}): TaskSpec {
  return { name, image: 'alpine:3.20', command: ['true'], ...extra };
}
