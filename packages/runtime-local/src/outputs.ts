// Task outputs: the attempt writes each declared output to `$KONTROLER_OUTPUTS/<name>` (a private
// folder inside its attempt folder); when it exits we read them back. The names it declared are
// recorded in the attempt folder (`declared`), so an adopter that has no spec reads the same ones.
// The folder belongs to the task (maybe another user): every file in it is opened without
// following links and without blocking, and must be a regular file, read with a bound.
import fs from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DATA_FLOW_LIMITS } from '@kontroler/core';
import { isErrno, readLine } from './attempt-files.js';
import { FILES } from './paths.js';
import { PRIVATE_FILE } from './private-modes.js';

/** What the exited event carries about outputs: both absent when the task declared none. */
export interface OutputsRead {
  readonly outputs?: Readonly<Record<string, string>>;
  readonly outputError?: string;
}

const MAX_BYTES = DATA_FLOW_LIMITS.maxOutputBytes;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export function outputsDir(dir: string): string {
  return join(dir, FILES.outputs);
}

/** Records the declared names (one JSON line) for whoever reads the outputs; nothing when none. */
export async function writeDeclared(dir: string, names: readonly string[] | undefined): Promise<void> {
  if (names === undefined || names.length === 0) return;
  await writeFile(join(dir, FILES.declared), `${JSON.stringify(names)}\n`, { mode: PRIVATE_FILE, flag: 'wx' });
}

/** The names recorded by `writeDeclared`; [] when none were (or the record is unreadable). */
export async function readDeclared(dir: string): Promise<string[]> {
  const line = await readLine(join(dir, FILES.declared));
  if (line === undefined) return [];
  try {
    const v: unknown = JSON.parse(line);
    return Array.isArray(v) ? v.filter((n): n is string => typeof n === 'string') : [];
  } catch {
    return [];
  }
}

/** One trailing newline is not part of the value (`echo 3 > $KONTROLER_OUTPUTS/n` gives `3`). */
export function stripNewline(text: string): string {
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

type ValueRead = { readonly kind: 'none' } | { readonly kind: 'value'; readonly text: string } | { readonly kind: 'error'; readonly message: string };

/** A safe output name is one path segment (core validates names; this guards the file system). */
function safeName(name: string): boolean {
  return name.length > 0 && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}

/** Reads `<folder>/<name>`: missing = no value; a link, folder, fifo... = refused; over MAX_BYTES = refused. */
export async function readOutputValue(folder: string, name: string): Promise<ValueRead> {
  if (!safeName(name)) return { kind: 'error', message: `OutputError: output name ${JSON.stringify(name)} cannot be a file name` };
  let fh;
  try {
    fh = await open(join(folder, name), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return { kind: 'none' };
    if (isErrno(e, 'ELOOP')) return { kind: 'error', message: `OutputError: output "${name}" is a symbolic link; write the value to a regular file` };
    return { kind: 'error', message: `OutputError: cannot read output "${name}": ${(e as Error).message}` };
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return { kind: 'error', message: `OutputError: output "${name}" is not a regular file; write the value to a regular file` };
    if (st.size > MAX_BYTES) return tooLarge(name, st.size);
    // Read with the bound, not the size stat saw: the file may grow meanwhile.
    const buf = Buffer.alloc(MAX_BYTES + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n > MAX_BYTES) return tooLarge(name, Math.max(n, st.size));
    }
    try {
      return { kind: 'value', text: stripNewline(UTF8.decode(buf.subarray(0, n))) };
    } catch {
      return { kind: 'error', message: `OutputError: output "${name}" is not UTF-8 text` };
    }
  } finally {
    await fh.close();
  }
}

function tooLarge(name: string, size: number): ValueRead {
  return { kind: 'error', message: `OutputTooLarge: output "${name}" is ${size} bytes; the limit is ${MAX_BYTES} bytes` };
}

/**
 * Reads the declared outputs of the attempt in `dir` (`names`, or the recorded ones when
 * undefined). The first refused value makes `outputError`, and then no outputs are reported.
 */
export async function readOutputs(dir: string, names?: readonly string[]): Promise<OutputsRead> {
  const declared = names ?? (await readDeclared(dir));
  if (declared.length === 0) return {};
  const folder = outputsDir(dir);
  const reads = await Promise.all(declared.map((n) => readOutputValue(folder, n)));
  const outputs: Array<[string, string]> = [];
  for (const [i, r] of reads.entries()) {
    if (r.kind === 'error') return { outputError: r.message };
    if (r.kind === 'value') outputs.push([declared[i] as string, r.text]);
  }
  // fromEntries defines keys: any name is kept as a key, even one the validation refuses.
  return { outputs: Object.fromEntries(outputs) };
}
