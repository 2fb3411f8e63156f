// The attempt's records on this machine, next to its outputs folder: why it never ran (`failed`)
// and who asked it to stop (`kill`). Each is one JSON line created exclusively, so the first
// writer wins and a later runtime instance reads what an earlier one decided.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface AttemptRecord {
  readonly at: number;
  readonly reason: string;
}

export const RECORDS = { failed: 'failed', kill: 'kill' } as const;
export type RecordName = keyof typeof RECORDS;

function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}

/** Writes the record unless there is one; resolves with the one that holds (ours or the earlier). */
export async function claimRecord(dir: string, name: RecordName, rec: AttemptRecord): Promise<AttemptRecord> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    await writeFile(join(dir, RECORDS[name]), `${JSON.stringify(rec)}\n`, { flag: 'wx', mode: 0o600 });
    return rec;
  } catch (e) {
    if (!isErrno(e, 'EEXIST')) throw e;
    return (await readRecord(dir, name)) ?? rec;
  }
}

/** The record, or undefined when there is none (or it is not completely written yet). */
export async function readRecord(dir: string, name: RecordName): Promise<AttemptRecord | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, RECORDS[name]), 'utf8');
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw e;
  }
  if (!text.endsWith('\n')) return undefined;
  try {
    const v = JSON.parse(text) as { at?: unknown; reason?: unknown };
    return typeof v.at === 'number' && typeof v.reason === 'string' ? { at: v.at, reason: v.reason } : undefined;
  } catch {
    return undefined;
  }
}
