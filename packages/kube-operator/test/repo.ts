// YAML documents of the repository's files, for tests (which files: the kit's `repoRoot`,
// `compatDir` and `yamlFilesUnder`).
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

/** Every document of a YAML file, as plain data (empty documents skipped). */
export function readYamlDocs(file: string): Array<Record<string, unknown>> {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJSON() as Record<string, unknown> | null)
    .filter((d): d is Record<string, unknown> => d !== null && typeof d === 'object');
}
