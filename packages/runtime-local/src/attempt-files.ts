// The small files that record an attempt's life. Each is one newline-terminated line written with a
// single write (by the supervisor's shell or by `writeLine`), so a reader that accepts only complete
// lines never acts on a half-written file: an incomplete line reads as "not there yet".
import fs from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FILES } from './paths.js';

/** What `pid` says: the supervisor that runs the attempt, or why the attempt never ran. */
export type PidRecord =
  | {
      readonly kind: 'started';
      readonly startedAt: number;
      readonly deadlineAt?: number;
      readonly pid: number;
      /** Field 22 of /proc/<pid>/stat (clock ticks since boot): tells a reused pid apart. */
      readonly startTime?: string;
    }
  | { readonly kind: 'failed'; readonly reason: string };

export interface KillRecord {
  readonly at: number;
  readonly reason: string;
}

function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}

/** These files are one short line: one read of this size gets all of it (longer ones are read whole). */
const SMALL = 4096;

/**
 * Reads a small file with two round trips to the thread pool (open, read; the close is not waited
 * for) instead of readFile's four (open, fstat, read, close): the exit file is read on the way
 * from a command's end to its `exited` event.
 */
function readSmall(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    fs.open(path, 'r', (err, fd) => {
      if (err) return reject(err);
      const buf = Buffer.allocUnsafe(SMALL);
      fs.read(fd, buf, 0, SMALL, 0, (e, n) => {
        fs.close(fd, () => {});
        if (e) return reject(e);
        if (n < SMALL) return resolve(buf.toString('utf8', 0, n));
        readFile(path, 'utf8').then(resolve, reject);
      });
    });
  });
}

/** The file's single line, or undefined when it is missing or not yet completely written. */
export async function readLine(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readSmall(path);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw e;
  }
  return text.endsWith('\n') ? text.slice(0, -1) : undefined;
}

/**
 * Creates `path` holding `line` unless it exists (O_EXCL): true when this call created it. The
 * exclusive create is what lets two processes race for the same decision with one winner.
 */
export async function writeLineExclusive(path: string, line: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'wx', 0o600);
  } catch (e) {
    if (isErrno(e, 'EEXIST')) return false;
    throw e;
  }
  try {
    await fh.writeFile(`${oneLine(line)}\n`);
  } finally {
    await fh.close();
  }
  return true;
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

function num(text: string | undefined): number | undefined {
  if (text === undefined || text === '-' || text === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** Parses a pid line: `<startedAt> <deadlineAt|-> <pid> <startTime|->` or `failed <reason>`. */
export function parsePidLine(line: string): PidRecord | undefined {
  if (line.startsWith('failed ')) return { kind: 'failed', reason: line.slice('failed '.length) };
  const [startedAtText, deadlineText, pidText, startTimeText] = line.split(' ');
  const startedAt = num(startedAtText);
  const pid = num(pidText);
  if (startedAt === undefined || pid === undefined || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  const deadlineAt = num(deadlineText);
  const startTime = startTimeText === undefined || startTimeText === '-' ? undefined : startTimeText;
  return {
    kind: 'started',
    startedAt,
    pid,
    ...(deadlineAt === undefined ? {} : { deadlineAt }),
    ...(startTime === undefined ? {} : { startTime }),
  };
}

export async function readPid(dir: string): Promise<PidRecord | undefined> {
  const line = await readLine(join(dir, FILES.pid));
  return line === undefined ? undefined : parsePidLine(line);
}

/** Records that the attempt will never run (the supervisor's own exclusive create then fails). */
export function claimFailed(dir: string, reason: string): Promise<boolean> {
  return writeLineExclusive(join(dir, FILES.pid), `failed ${reason}`);
}

/** The command's exit status as the supervisor saw it (128+n when killed by signal n). */
export async function readExit(dir: string): Promise<number | undefined> {
  const code = num(await readLine(join(dir, FILES.exit)));
  return code !== undefined && Number.isInteger(code) ? code : undefined;
}

export async function readKill(dir: string): Promise<KillRecord | undefined> {
  const line = await readLine(join(dir, FILES.kill));
  if (line === undefined) return undefined;
  const space = line.indexOf(' ');
  const at = num(space === -1 ? line : line.slice(0, space));
  return { at: at ?? 0, reason: space === -1 ? 'Killed' : line.slice(space + 1) };
}

/** First reason wins: a cancel after a deadline kill keeps DeadlineExceeded. */
export function writeKill(dir: string, rec: KillRecord): Promise<boolean> {
  return writeLineExclusive(join(dir, FILES.kill), `${rec.at} ${rec.reason}`);
}

/** Modification time in epoch ms, or undefined when the file is missing. */
export async function mtimeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw e;
  }
}

export { isErrno };
