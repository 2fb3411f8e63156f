// Shared test helpers: where the compatibility corpus lives, and small resource builders.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DagResource, TaskSpec } from '@kontroler/core';

/** Repository root (tests run compiled from packages/core/dist-test). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The Go project's sample resources (AGPL data, read in place, never copied). The worktree sits
 * next to `shared/`; KONTROLER_COMPAT_DIR overrides. Missing corpus = a loud failure, not a skip.
 */
export function compatDir(): string {
  const dir = process.env['KONTROLER_COMPAT_DIR'] ?? join(repoRoot, '..', 'shared', 'compat');
  if (!existsSync(join(dir, 'kontroler-samples'))) {
    throw new Error(`compatibility corpus not found at ${dir}; set KONTROLER_COMPAT_DIR to the shared/compat directory`);
  }
  return dir;
}

export function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...yamlFilesUnder(p));
    else if (/\.ya?ml$/.test(name)) out.push(p);
  }
  return out;
}

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
