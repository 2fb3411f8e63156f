import { open } from 'node:fs/promises';
import type { ContainerLog, LogStream } from './container-log.js';

/** kubelet's PodLogOptions, as they arrive on `/containerLogs` query parameters. */
export interface LogQuery {
  follow: boolean;
  timestamps: boolean;
  tailLines?: number;
  limitBytes?: number;
  /** Only lines written at or after this time. */
  since?: Date;
  stream?: LogStream;
}

export interface LogLine {
  time: string;
  stream: LogStream;
  partial: boolean;
  text: string;
}

export function parseLine(line: string): LogLine | undefined {
  const m = /^(\S+) (stdout|stderr) ([FP]) (.*)$/s.exec(line);
  if (!m) return undefined;
  return { time: m[1] as string, stream: m[2] as LogStream, partial: m[3] === 'P', text: m[4] as string };
}

/** What kubelet writes to the client for one CRI line. */
export function formatLine(l: LogLine, timestamps: boolean): string {
  return `${timestamps ? `${l.time} ` : ''}${l.text}${l.partial ? '' : '\n'}`;
}

/**
 * Streams a container attempt's log as kubelet does: filters by stream and time, starts at the
 * last `tailLines` lines, stops after `limitBytes`, and with `follow` keeps going until the
 * container has exited (the live `ContainerLog` says when). Ends early when `signal` aborts.
 */
export async function* readContainerLog(
  path: string,
  live: ContainerLog | undefined,
  q: LogQuery,
  signal: AbortSignal,
): AsyncGenerator<string> {
  const accept = (l: LogLine | undefined): l is LogLine =>
    !!l && (!q.stream || l.stream === q.stream) && (!q.since || new Date(l.time) >= q.since);
  let budget = q.limitBytes ?? Infinity;
  const limit = (s: string): string => {
    const b = Buffer.from(s);
    const out = b.length <= budget ? s : b.subarray(0, budget).toString();
    budget -= Math.min(b.length, budget);
    return out;
  };

  const fh = await open(path, 'r');
  try {
    let offset = 0;
    let carry = '';
    const readMore = async (): Promise<LogLine[]> => {
      const end = live ? live.size : (await fh.stat()).size;
      if (end <= offset) return [];
      const buf = Buffer.alloc(end - offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      offset += bytesRead;
      const text = carry + buf.subarray(0, bytesRead).toString();
      const lines = text.split('\n');
      carry = lines.pop() ?? '';
      return lines.map(parseLine).filter(accept);
    };

    let first = await readMore();
    if (q.tailLines !== undefined) first = first.slice(Math.max(0, first.length - q.tailLines));
    for (const l of first) {
      if (budget <= 0) return;
      yield limit(formatLine(l, q.timestamps));
    }
    if (!q.follow || !live) return;
    for (;;) {
      if (budget <= 0 || signal.aborted) return;
      const wasClosed = live.closed;
      for (const l of await readMore()) {
        if (budget <= 0) return;
        yield limit(formatLine(l, q.timestamps));
      }
      if (wasClosed) return;
      if (live.size === offset && !live.closed) await nextChange(live, signal);
    }
  } finally {
    await fh.close();
  }
}

function nextChange(live: ContainerLog, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      live.off('append', done);
      live.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    live.on('append', done);
    live.on('close', done);
    signal.addEventListener('abort', done);
  });
}
