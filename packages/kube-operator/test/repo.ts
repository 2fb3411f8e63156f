// Files of the repository and the shared compatibility corpus, for tests.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export function compatDir(): string {
  const dir = process.env['KONTROLER_COMPAT_DIR'] ?? join(repoRoot, '..', 'shared', 'compat');
  if (!existsSync(join(dir, 'kontroler-samples'))) throw new Error(`compatibility corpus not found at ${dir}; set KONTROLER_COMPAT_DIR to the shared/compat directory`);
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

/** Every document of a YAML file, as plain data (empty documents skipped). */
export function readYamlDocs(file: string): Array<Record<string, unknown>> {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJSON() as Record<string, unknown> | null)
    .filter((d): d is Record<string, unknown> => d !== null && typeof d === 'object');
}
