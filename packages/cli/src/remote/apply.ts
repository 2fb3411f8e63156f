// kontroler apply -f FILE|DIR: DAGs, DagTasks (YAML/JSON, several documents per file), DAGs in the
// DSL (.kdag / .dsl files, named after the file), DagRuns (start a run).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { findExcessNesting } from '@kontroler/core';
import { ApiError, type KontrolerClient } from '@kontroler/client';
import { connect, withConn, type ConnOptions } from './connection.js';

const YAML_EXT = new Set(['.yaml', '.yml', '.json']);
const DSL_EXT = new Set(['.kdag', '.dsl']);

export interface Doc {
  file: string;
  /** 1-based line of the document's first line in the file. */
  line: number;
  text: string;
  format: 'yaml' | 'json' | 'dsl';
  kind: string;
  namespace?: string;
  name?: string;
}

function files(paths: string[], recursive: boolean): string[] {
  const out: string[] = [];
  const walk = (p: string, top: boolean): void => {
    const st = statSync(p);
    if (st.isDirectory()) {
      if (!top && !recursive) return;
      for (const n of readdirSync(p).sort()) if (!n.startsWith('.')) walk(join(p, n), false);
    } else if (top || YAML_EXT.has(extname(p)) || DSL_EXT.has(extname(p))) out.push(p);
  };
  for (const p of paths) walk(p, true);
  return out;
}

/** Splits a file into documents (YAML `---`), each with its kind and names when readable. */
export function splitDocs(file: string, text: string): Doc[] {
  const ext = extname(file);
  if (DSL_EXT.has(ext)) return [{ file, line: 1, text, format: 'dsl', kind: 'DAG', name: basename(file, ext) }];
  const format = ext === '.json' ? 'json' : 'yaml';
  const lines = text.split('\n');
  const docs: Doc[] = [];
  let start = 0;
  const flush = (end: number): void => {
    const body = lines.slice(start, end).join('\n');
    if (body.trim() !== '' && !/^(\s*#.*|\s*)$/s.test(body.replace(/^\s*#.*$/gm, ''))) {
      let meta: { kind?: unknown; metadata?: { namespace?: unknown; name?: unknown } } = {};
      try {
        // Too deep for the parser's stack: the server refuses it with the limit named.
        if (findExcessNesting(body) === undefined) meta = (parse(body) ?? {}) as typeof meta;
      } catch {
        meta = {};
      }
      docs.push({
        file,
        line: start + 1,
        text: body,
        format,
        kind: typeof meta.kind === 'string' ? meta.kind : 'DAG',
        ...(typeof meta.metadata?.namespace === 'string' ? { namespace: meta.metadata.namespace } : {}),
        ...(typeof meta.metadata?.name === 'string' ? { name: meta.metadata.name } : {}),
      });
    }
  };
  if (format === 'json') return (flush(lines.length), docs);
  lines.forEach((l, i) => {
    if (/^---(\s|$)/.test(l)) {
      flush(i);
      start = i + 1;
    }
  });
  flush(lines.length);
  return docs;
}

const ORDER: Record<string, number> = { DagTask: 0, DAG: 1, DagRun: 2 };

async function applyDoc(client: KontrolerClient, d: Doc, ns: string, dryRun: boolean, overrideFile = false): Promise<string> {
  if (d.kind === 'DagRun') {
    const spec = ((findExcessNesting(d.text) === undefined ? parse(d.text) : {}) as { spec?: { dagName?: string; parameters?: Array<{ name: string; value?: string }> } }).spec ?? {};
    if (!spec.dagName) throw new ApiError(400, 'VALIDATION_FAILED', 'spec.dagName is required', [{ path: 'spec.dagName', message: 'is required' }]);
    if (dryRun) return `dagrun/${d.name ?? '(unnamed)'} would start a run of ${spec.dagName} (dry run)`;
    const parameters = Object.fromEntries((spec.parameters ?? []).filter((p) => p.value !== undefined).map((p) => [p.name, String(p.value)]));
    const run = await client.startRun(ns, spec.dagName, { parameters, ...(d.name ? { name: d.name } : {}) });
    return `dagrun/${d.name ?? run.id} started run ${run.id} of ${ns}/${spec.dagName}`;
  }
  const kind = d.kind === 'DagTask' ? 'DagTask' : 'DAG';
  const r = await client.apply(kind, ns, d.text, d.format, { ...(d.name && d.format === 'dsl' ? { name: d.name } : {}), dryRun, ...(overrideFile ? { overrideFile } : {}) });
  const what = dryRun ? `valid (would be version ${r.version})` : r.created ? (r.version === 1 ? 'created' : `configured (version ${r.version})`) : 'unchanged';
  return `${kind.toLowerCase()}/${r.name} ${what}${dryRun ? ' (dry run)' : ''}`;
}

export function register(program: Command): void {
  withConn(
    program
      .command('apply')
      .description('create or update DAGs and DagTasks on the server from YAML/JSON or DSL files (DagRuns start runs)')
      .requiredOption('-f, --filename <path...>', 'files or folders (.yaml .yml .json; .kdag/.dsl for the DSL)')
      .option('-n, --namespace <ns>', 'namespace for resources that name none', 'default')
      .option('-R, --recursive', 'descend into sub-folders')
      .option('--dry-run', 'validate on the server, store nothing')
      .option('--override-file', "write over DAGs a file of the server's DAG folder manages (the next change of the file replaces them)"),
  ).action(async (o: ConnOptions & { filename: string[]; namespace: string; recursive?: boolean; dryRun?: boolean; overrideFile?: boolean }) => {
    const { client } = await connect(o);
    const docs = files(o.filename, o.recursive === true).flatMap((f) => splitDocs(f, readFileSync(f, 'utf8')));
    if (docs.length === 0) throw new Error('no resources found in the given files');
    docs.sort((a, b) => (ORDER[a.kind] ?? 1) - (ORDER[b.kind] ?? 1));
    let failed = 0;
    for (const d of docs) {
      const ns = d.namespace ?? o.namespace;
      try {
        console.log(await applyDoc(client, d, ns, o.dryRun === true, o.overrideFile === true));
      } catch (e) {
        failed++;
        if (!(e instanceof ApiError)) throw e;
        console.error(`${d.file}${d.name ? ` (${d.kind} ${d.name})` : ''}: ${e.message}`);
        for (const fe of e.details) {
          const where = fe.line !== undefined ? `${d.file}:${fe.line + d.line - 1}:${fe.column ?? 1}: ` : '';
          console.error(`  ${where}${fe.path}: ${fe.message}`);
        }
      }
    }
    if (failed > 0) {
      console.error(`${failed} of ${docs.length} resource(s) failed`);
      process.exitCode = 1;
    }
  });
}
