import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { formatFieldErrorsLocated, parseResources, shellParameterWarnings, validateResource, type FieldError } from '@kontroler/core';

export function register(program: Command): void {
  program
    .command('validate')
    .description('check DAG / DagTask / DagRun files; prints every problem with its field path')
    .argument('<files...>', 'YAML or JSON files')
    .action(async (files: string[]) => {
      let bad = 0;
      for (const f of files) {
        let text: string;
        try {
          text = await readFile(f, 'utf8');
        } catch (e) {
          console.error(`${f}: cannot read: ${(e as Error).message}`);
          bad++;
          continue;
        }
        const parsed = parseResources(text, f);
        const errors = [...parsed.errors];
        const warnings: FieldError[] = [];
        for (const d of parsed.documents) {
          if (!d.resource) continue;
          for (const w of shellParameterWarnings(d.resource, { locate: d.locate })) warnings.push({ source: f, ...w, path: `${d.pathPrefix}${w.path}` });
          // Semantic checks run on what parsed, so one pass reports every problem.
          const seen = new Set(d.errors.map((e) => e.path));
          for (const e of validateResource(d.resource, { locate: d.locate })) {
            const path = `${d.pathPrefix}${e.path}`;
            if (!seen.has(path)) errors.push({ source: f, ...e, path });
          }
        }
        if (warnings.length > 0) console.error(formatFieldErrorsLocated(warnings).split('\n').map((l) => `  ${l}`).join('\n'));
        if (errors.length === 0) {
          console.log(`${f}: ok (${parsed.resources.map((r) => `${r.kind} ${r.metadata.name}`).join(', ') || 'no resources'})`);
        } else {
          bad++;
          console.error(`${f}: ${errors.length} problem(s)`);
          console.error(formatFieldErrorsLocated(errors).split('\n').map((l) => `  ${l}`).join('\n'));
        }
      }
      if (bad > 0) process.exitCode = 1;
    });
}
