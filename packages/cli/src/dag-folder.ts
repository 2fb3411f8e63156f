// Loads DAG and DagTask files from a folder into the store, and again whenever they change.
// A bad file is reported and skipped; it never replaces the last good version of its DAGs.
import { watch, type FSWatcher } from 'node:fs';
import { join, relative } from 'node:path';
import { type FieldError, formatFieldErrorsLocated, messageOf } from '@kontroler/core';
import { DagWorker, DEFAULT_DAG_WORKER, storePreparedDag, type DagWorkerConfig } from '@kontroler/server';
import { applyResource, deleteDag, listDags, type PoolLike } from '@kontroler/store';
import { listDagFolder, readDagFile } from './dag-folder-files.js';
import { prepareFolderFile, type PreparedFile } from './dag-folder-prepare.js';

export interface FolderReport {
  file: string;
  errors: FieldError[];
  /** Problems that do not stop the file (e.g. a parameter substituted into a `sh -c` script). */
  warnings: FieldError[];
  applied: Array<{ kind: string; namespace: string; name: string; version: number; created: boolean }>;
}

export interface DagFolderOptions {
  dir: string;
  pool: PoolLike;
  log: (line: string) => void;
  /** Called after a pass that stored something (e.g. to wake the scheduler). */
  onChange?: () => void;
  /** Fallback re-scan interval (file watching is not reliable everywhere). */
  pollMs?: number;
  /**
   * A worker thread (running dag-folder-thread.js) for files larger than its `inlineMaxBytes`:
   * their parse, validation and resolution then keep off the event loop. Absent: all inline.
   */
  worker?: DagWorker<{ file: string; text: string }, PreparedFile>;
}

const KIND_ORDER: Record<string, number> = { DagTask: 0, DAG: 1 };

/** The worker thread for large DAG-folder files (the API's bounds: over 256 KiB, 30 s per file). Close it after `stop()`. */
export function dagFolderWorker(config: DagWorkerConfig = DEFAULT_DAG_WORKER): DagWorker<{ file: string; text: string }, PreparedFile> {
  return new DagWorker(config, new URL('./dag-folder-thread.js', import.meta.url));
}

export class DagFolder {
  private readonly seen = new Map<string, string>(); // file → content
  /** What each seen file defines, from its last preparation (so unchanged files are never parsed again). */
  private readonly defines = new Map<string, { broken: boolean; dags: string[] }>();
  /** Files not read (too large, unreadable): their DAGs are kept, like those of a broken file. */
  private readonly unread = new Set<string>();
  /** Entries skipped (links, FIFOs, ...) and already reported: path → reason. */
  private readonly skipped = new Map<string, string>();
  private watcher: FSWatcher | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private debounce: ReturnType<typeof setTimeout> | undefined;
  private scanning: Promise<void> | undefined;
  private again = false;

  constructor(private readonly o: DagFolderOptions) {}

  /** Loads every file once, then watches the folder. */
  async start(): Promise<FolderReport[]> {
    const reports = await this.scan();
    try {
      this.watcher = watch(this.o.dir, { recursive: true }, () => this.soon());
      this.watcher.on('error', () => undefined);
    } catch {
      // folder missing or recursive watch unsupported: polling covers it
    }
    this.timer = setInterval(() => this.soon(), this.o.pollMs ?? 2000);
    return reports;
  }

  async stop(): Promise<void> {
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    await this.scanning;
  }

  private soon(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      if (this.scanning) {
        this.again = true;
        return;
      }
      this.scanning = this.scan()
        .then(() => undefined)
        .catch((e: unknown) => this.o.log(`DAG folder: scan failed: ${String(e)}`))
        .finally(() => {
          this.scanning = undefined;
          if (this.again) {
            this.again = false;
            this.soon();
          }
        });
    }, 150);
  }

  /** Applies the files that changed since the last scan; forgets DAGs whose file is gone. */
  async scan(): Promise<FolderReport[]> {
    const listing = await listDagFolder(this.o.dir);
    this.reportSkipped(listing.skipped);
    const files = listing.files;
    const reports: FolderReport[] = [];
    const changed: Array<{ file: string; text: string }> = [];
    for (const f of files) {
      const read = await readDagFile(f);
      if (!read.ok) {
        // Reported once per distinct reason; the file's DAGs stay as they were.
        const marker = `\u0000unread:${read.reason}`;
        this.unread.add(f);
        if (this.seen.get(f) === marker) continue;
        this.seen.set(f, marker);
        reports.push({ file: f, errors: [{ path: '<root>', message: read.reason, source: f }], warnings: [], applied: [] });
        continue;
      }
      this.unread.delete(f);
      const text = read.text;
      if (this.seen.get(f) === text) continue;
      this.seen.set(f, text);
      changed.push({ file: f, text });
    }
    const listed = new Set(files);
    const removed = [...this.seen.keys()].filter((f) => !listed.has(f));
    for (const f of removed) {
      this.seen.delete(f);
      this.defines.delete(f);
      this.unread.delete(f);
    }
    if (changed.length === 0 && removed.length === 0 && reports.length === 0) return [];

    const parsed: Array<{ file: string; item: PreparedFile['items'][number] }> = [];
    for (const c of changed) {
      const prep = await this.prepare(c);
      this.defines.set(c.file, { broken: prep.broken, dags: prep.defines });
      reports.push({ file: c.file, errors: prep.errors, warnings: prep.warnings, applied: [] });
      for (const item of prep.items) parsed.push({ file: c.file, item });
    }
    const kindOf = (i: PreparedFile['items'][number]): string => (i.kind === 'prepared' ? 'DAG' : i.resource.kind);
    parsed.sort((a, b) => (KIND_ORDER[kindOf(a.item)] ?? 2) - (KIND_ORDER[kindOf(b.item)] ?? 2));
    let stored = false;
    for (const p of parsed) {
      const rep = reports.find((x) => x.file === p.file)!;
      const item = p.item;
      if (item.kind === 'resource' && item.resource.kind === 'DagRun') {
        rep.errors.push({ path: 'kind', message: 'a DagRun in the DAG folder is ignored: start runs with `kontroler run` or the API' });
        continue;
      }
      const name = item.kind === 'prepared' ? item.dag.name : item.resource.metadata?.name;
      try {
        const source = `file:${p.file}`;
        const res = item.kind === 'prepared' ? await storePreparedDag(this.o.pool, item.dag, { source }) : await applyResource(this.o.pool, item.resource, { source });
        rep.applied.push({ kind: res.kind, namespace: res.namespace, name: res.name, version: res.version, created: res.created });
        if (res.created) stored = true;
      } catch (e) {
        const details = (e as { details?: FieldError[] }).details;
        if (details && details.length > 0) rep.errors.push(...details.map((d) => ({ ...d, path: `${name ?? '?'}: ${d.path}` })));
        else rep.errors.push({ path: name ?? '<root>', message: messageOf(e) });
      }
    }
    stored = (await this.forgetRemoved(new Set([...this.seen.keys()]))) || stored;
    for (const rep of reports) this.report(rep);
    if (stored) this.o.onChange?.();
    return reports;
  }

  /** One file's parse, validation and resolution: in the worker thread when the file is large. */
  private async prepare(c: { file: string; text: string }): Promise<PreparedFile> {
    const w = this.o.worker;
    if (w === undefined || !w.takes(c.text)) return prepareFolderFile(c);
    try {
      return await w.run(c);
    } catch (e) {
      // Reported once (again when the file changes); its DAGs stay as they were.
      return { errors: [{ path: '<root>', message: messageOf(e), source: c.file }], warnings: [], items: [], broken: true, defines: [] };
    }
  }

  /** DAGs loaded from a file of this folder that no file defines any more are deleted (history kept). */
  private async forgetRemoved(files: Set<string>): Promise<boolean> {
    const defined = new Set<string>();
    const broken = new Set<string>();
    for (const f of this.seen.keys()) {
      if (!files.has(f)) continue;
      const d = this.defines.get(f);
      if (this.unread.has(f) || d === undefined) {
        broken.add(f);
        continue;
      }
      if (d.broken) broken.add(f);
      for (const name of d.dags) defined.add(name);
    }
    let any = false;
    for (const d of await listDags(this.o.pool, { limit: 1000 })) {
      if (!d.source.startsWith('file:')) continue;
      const file = d.source.slice(5);
      if (!file.startsWith(this.o.dir) || broken.has(file)) continue;
      if (defined.has(`${d.namespace}/${d.name}`)) continue;
      await deleteDag(this.o.pool, d.namespace, d.name).catch(() => undefined);
      this.o.log(`DAG ${d.namespace}/${d.name}: its file ${relative(process.cwd(), file)} no longer defines it; deleted (run history kept)`);
      any = true;
    }
    return any;
  }

  /** Logs each skipped entry once (again if its reason changes); forgets entries that are gone. */
  private reportSkipped(entries: readonly { path: string; reason: string }[]): void {
    const now = new Set<string>();
    for (const e of entries) {
      now.add(e.path);
      if (this.skipped.get(e.path) === e.reason) continue;
      this.skipped.set(e.path, e.reason);
      this.o.log(`${relative(process.cwd(), e.path) || e.path}: skipped, ${e.reason}`);
    }
    for (const p of [...this.skipped.keys()]) if (!now.has(p)) this.skipped.delete(p);
  }

  private report(rep: FolderReport): void {
    const file = relative(process.cwd(), rep.file) || rep.file;
    for (const a of rep.applied) {
      this.o.log(`${a.kind} ${a.namespace}/${a.name}: ${a.created ? `loaded version ${a.version}` : `unchanged (version ${a.version})`} from ${file}`);
    }
    if (rep.warnings.length > 0) this.o.log(`${file}: ${rep.warnings.length} warning(s):\n${indent(formatFieldErrorsLocated(rep.warnings))}`);
    if (rep.errors.length > 0) {
      this.o.log(`${file}: skipped, ${rep.errors.length} problem(s) (the last good version stays in use):\n${indent(formatFieldErrorsLocated(rep.errors))}`);
    }
  }
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
