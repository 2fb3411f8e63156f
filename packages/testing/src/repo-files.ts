// Files of the repository and of the shared compatibility corpus, for tests that read them.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the kit runs compiled from packages/testing/dist). */
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

/** Every `.yaml` / `.yml` file below `dir`, in sorted order (depth first). */
export function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...yamlFilesUnder(p));
    else if (/\.ya?ml$/.test(name)) out.push(p);
  }
  return out;
}
