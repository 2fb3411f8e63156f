// Which files of the DAG folder are read, which are skipped and why, and reading one within the
// size limit. Nothing here ever opens a FIFO, a socket or a device: entries are classified with
// lstat/stat first, and the one file that is opened is opened non-blocking and checked again.
import { constants } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Largest DAG-folder file read (the API's resource body limit, 32 MiB: a DAG of MAX_TASKS_PER_DAG tasks). */
export const MAX_DAG_FILE_BYTES = 32 * 1024 * 1024;

/** Deepest folder nesting walked below the DAG folder. */
export const MAX_DAG_FOLDER_DEPTH = 16;

export const DAG_FILE_EXTENSIONS = /\.(ya?ml|json)$/i;

export interface SkippedEntry {
  path: string;
  /** Why it is not read, e.g. "a dangling symbolic link". */
  reason: string;
}

export interface FolderListing {
  /** Regular files (or links to one) with a DAG file extension, sorted. */
  files: string[];
  skipped: SkippedEntry[];
}

/** Lists the folder (recursively, hidden entries excluded). Never throws; never opens an entry. */
export async function listDagFolder(dir: string): Promise<FolderListing> {
  const out: FolderListing = { files: [], skipped: [] };
  const pending: Array<{ d: string; depth: number }> = [{ d: dir, depth: 0 }];
  while (pending.length > 0) {
    const { d, depth } = pending.pop() ?? { d: dir, depth: 0 };
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      const wanted = DAG_FILE_EXTENSIONS.test(e.name);
      if (e.isDirectory()) {
        if (depth + 1 > MAX_DAG_FOLDER_DEPTH) out.skipped.push({ path: p, reason: `a folder more than ${MAX_DAG_FOLDER_DEPTH} levels deep (not read)` });
        else pending.push({ d: p, depth: depth + 1 });
      } else if (e.isSymbolicLink()) {
        const why = await symlinkProblem(p);
        if (why === 'file') {
          if (wanted) out.files.push(p);
        } else if (why !== undefined && (wanted || why !== 'not a regular file')) out.skipped.push({ path: p, reason: why });
      } else if (e.isFile()) {
        if (wanted) out.files.push(p);
      } else if (wanted) {
        out.skipped.push({ path: p, reason: describeSpecial(e) });
      }
    }
  }
  out.files.sort();
  out.skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return out;
}

/** 'file' when the link leads to a regular file, else why it is skipped. */
async function symlinkProblem(p: string): Promise<string | undefined> {
  try {
    const s = await stat(p);
    if (s.isFile()) return 'file';
    if (s.isDirectory()) return 'a symbolic link to a folder (links to folders are not followed)';
    return `a symbolic link to ${describeSpecial(s)}`;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'a dangling symbolic link (its target does not exist)';
    if (code === 'ELOOP') return 'a symbolic link loop';
    return `a symbolic link that cannot be followed (${code ?? 'error'})`;
  }
}

function describeSpecial(s: { isFIFO(): boolean; isSocket(): boolean; isBlockDevice(): boolean; isCharacterDevice(): boolean }): string {
  if (s.isFIFO()) return 'a FIFO (named pipe), not a regular file';
  if (s.isSocket()) return 'a socket, not a regular file';
  if (s.isBlockDevice() || s.isCharacterDevice()) return 'a device, not a regular file';
  return 'not a regular file';
}

export type ReadOutcome = { ok: true; text: string } | { ok: false; reason: string; tooLarge?: boolean };

/**
 * Reads a DAG file as UTF-8, refusing files over `limit` bytes without reading them whole.
 * Opens non-blocking, so a FIFO swapped in after listing cannot block the loader.
 */
export async function readDagFile(path: string, limit: number = MAX_DAG_FILE_BYTES): Promise<ReadOutcome> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return { ok: false, reason: `cannot open: ${(e as NodeJS.ErrnoException).code ?? String(e)}` };
  }
  try {
    const s = await fh.stat();
    if (!s.isFile()) return { ok: false, reason: describeSpecial(s) };
    if (s.size > limit) return { ok: false, reason: tooLarge(s.size, limit), tooLarge: true };
    // One byte more than the size seen, to notice a file that grows while it is read.
    let buf = Buffer.alloc(s.size + 1);
    let total = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, total, buf.length - total, total);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > limit) return { ok: false, reason: tooLarge(total, limit), tooLarge: true };
      if (total === buf.length) {
        const bigger = Buffer.alloc(limit + 1);
        buf.copy(bigger, 0, 0, total);
        buf = bigger;
      }
    }
    return { ok: true, text: buf.subarray(0, total).toString('utf8') };
  } catch (e) {
    return { ok: false, reason: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` };
  } finally {
    await fh.close().catch(() => undefined);
  }
}

function tooLarge(size: number, limit: number): string {
  return `the file is ${size} bytes or more, over the limit of ${limit} bytes (MAX_DAG_FILE_BYTES, ${+(limit / 1024 / 1024).toFixed(2)} MiB): not read; split it into several files`;
}
