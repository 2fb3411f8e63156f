// Test support: Helm (from PATH, or built from the Go module proxy by scripts/build-helm.sh) and
// `helm template` of deploy/helm/kontroler as objects.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '@kontroler/testing';

export type RenderedObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: unknown };

/** The helm binary; throws saying why when there is none and it cannot be built. */
export function helmBinary(): string {
  try {
    return execFileSync(join(repoRoot, 'scripts/build-helm.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 540_000 }).trim();
  } catch (err) {
    throw new Error(`helm is needed to render deploy/helm/kontroler and could not be built (scripts/build-helm.sh): ${String(err)}`);
  }
}

/** `helm template kontroler deploy/helm/kontroler --namespace NS --set ...` as objects. */
export function renderChart(bin: string, namespace: string, sets: readonly string[] = []): RenderedObject[] {
  const out = execFileSync(bin, ['template', 'kontroler', join(repoRoot, 'deploy/helm/kontroler'), '--namespace', namespace, ...sets.flatMap((s) => ['--set', s])], { encoding: 'utf8' });
  return parseAllDocuments(out)
    .map((d) => d.toJSON() as RenderedObject | null)
    .filter((d): d is RenderedObject => d !== null && typeof d === 'object');
}
