// Attempt logs: archived text with HTTP Range support, and live follow (Server-Sent Events or
// chunked text) that continues from the stored output to live output and ends with the attempt.
import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { isActiveAttempt } from '@kontroler/engine';
import { LOG_CHUNK_TIMES_MAX_LIMIT, getAttempt, listLogChunkTimes, readLog } from '@kontroler/store';
import { LogChunkTimesView } from '@kontroler/api-schema';
import type { ServerContext } from '../context.js';
import { apiError } from '../http-errors.js';
import type { AnyRoute } from '../route.js';
import { route } from '../route.js';
import { AttemptParams } from '../schemas.js';
import { messageOf } from '@kontroler/core';

const CHUNK = 256 * 1024;
const KEEPALIVE_MS = 15_000;

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/**
 * Parses a single-range `Range: bytes=...` header against a body of `size` bytes. Returns
 * undefined to serve the whole body (no header, another unit, several ranges, bad syntax: RFC 9110
 * says to ignore it), or 'unsatisfiable'.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (!Number.isSafeInteger(start) || start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/** How many bytes of `buf` end on a UTF-8 character boundary (a split character is held back). */
export function utf8Boundary(buf: Uint8Array): number {
  const n = buf.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const b = buf[n - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

async function* archived(ctx: ServerContext, key: { runId: number; task: string; attempt: number }, start: number, endExclusive: number): AsyncGenerator<Buffer> {
  let pos = start;
  while (pos < endExclusive) {
    const { data, next } = await readLog(ctx.pool, key, pos, endExclusive, CHUNK);
    if (data.length === 0) return;
    yield data;
    pos = next;
  }
}

async function* follow(
  ctx: ServerContext,
  key: { runId: number; task: string; attempt: number },
  from: number,
  sse: boolean,
  signal: AbortSignal,
): AsyncGenerator<string | Buffer> {
  let pos = from;
  let lastSent = Date.now();
  if (sse) yield `retry: 2000\n: following ${key.task} attempt ${key.attempt} of run ${key.runId}\n\n`;
  while (!signal.aborted) {
    // Status first, then output: the controller stores all output before it records the end, so an
    // ended status read before the output means the output read is complete.
    const a = await getAttempt(ctx.pool, key.runId, key.task, key.attempt);
    const ended = a === undefined || !isActiveAttempt(a.status);
    const { data, next } = await readLog(ctx.pool, key, pos, undefined, CHUNK);
    if (data.length > 0) {
      const cut = ended ? data.length : utf8Boundary(data);
      if (cut > 0) {
        const part = data.subarray(0, cut);
        pos += cut;
        lastSent = Date.now();
        yield sse ? `id: ${pos}\nevent: log\ndata: ${JSON.stringify({ offset: pos - cut, text: part.toString('utf8') })}\n\n` : part;
        if (next > pos || ended) continue;
      }
    } else if (ended) {
      if (sse) {
        yield `id: ${pos}\nevent: end\ndata: ${JSON.stringify({ status: a?.status ?? 'unknown', exitCode: a?.exitCode ?? null, reason: a?.reason ?? null, size: pos })}\n\n`;
      }
      return;
    }
    if (sse && Date.now() - lastSent >= KEEPALIVE_MS) {
      lastSent = Date.now();
      yield ': keepalive\n\n';
    }
    await ctx.logHub.wait(key.runId, signal);
  }
}

export function logRoutes(): AnyRoute[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/runs/:id/tasks/:task/attempts/:n/logs',
      operationId: 'getAttemptLogs',
      summary: 'The output of an attempt: archived (Range supported) or followed live',
      description:
        'Without `follow`: the stored bytes as text/plain, with `Range: bytes=a-b` (206) support. With `follow=true`: ' +
        'stored output then live output until the attempt ends, as Server-Sent Events when the request accepts ' +
        '`text/event-stream` (`log` events `{offset, text}` with the byte offset as event id, then one `end` event; ' +
        'resume with `Last-Event-ID`), otherwise as chunked text/plain. `offset` starts a follow at a byte offset. ' +
        'Stored logs are bounded: lines longer than KONTROLER_MAX_LOG_LINE_BYTES are split after a `[kontroler: line split at N bytes]` line, ' +
        'and past KONTROLER_MAX_LOG_BYTES the head and the tail are kept with a `[kontroler: N bytes cut]` line between them (the tail is stored when the attempt ends).',
      tags: ['runs', 'logs'],
      access: { kind: 'run', role: 'viewer' },
      produces: ['text/plain', 'text/event-stream'],
      schema: {
        params: AttemptParams,
        querystring: Type.Object({ follow: Type.Optional(Type.Boolean()), offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 9007199254740991 })) }),
      },
      async handler(c) {
        const { ctx, req, reply } = c;
        const key = { runId: c.params.id, task: c.params.task, attempt: c.params.n };
        const a = await getAttempt(ctx.pool, key.runId, key.task, key.attempt);
        if (!a) throw apiError('NOT_FOUND', `run ${key.runId} task ${key.task} has no attempt ${key.attempt}`);
        reply.header('x-attempt-status', a.status);
        if (c.query.follow === true) {
          if (ctx.logHub.followers >= ctx.config.maxLogFollowers) throw apiError('UNAVAILABLE', 'too many log followers right now: try again shortly', [], { 'retry-after': '5' });
          const sse = (req.headers.accept ?? '').includes('text/event-stream');
          const lastId = req.headers['last-event-id'];
          const resume = typeof lastId === 'string' && /^\d{1,15}$/.test(lastId) ? Number(lastId) : undefined;
          const from = resume ?? c.query.offset ?? 0;
          const abort = new AbortController();
          req.raw.on('close', () => abort.abort());
          ctx.logHub.followers++;
          const stream = Readable.from(follow(ctx, key, from, sse, abort.signal));
          let counted = true;
          const done = (): void => {
            if (counted) ctx.logHub.followers--;
            counted = false;
            abort.abort();
          };
          stream.on('close', done);
          stream.on('error', (e) => ctx.log.warn(`log follow of run ${key.runId} ended with an error: ${messageOf(e)}`, key));
          reply.header('cache-control', 'no-cache').header('x-accel-buffering', 'no');
          reply.type(sse ? 'text/event-stream; charset=utf-8' : 'text/plain; charset=utf-8');
          return reply.send(stream);
        }
        const size = a.logSize;
        const range = parseRange(req.headers.range, size);
        reply.header('accept-ranges', 'bytes').header('x-log-complete', String(!isActiveAttempt(a.status)));
        reply.type('text/plain; charset=utf-8');
        if (range === 'unsatisfiable') {
          reply.header('content-range', `bytes */${size}`);
          throw apiError('RANGE_NOT_SATISFIABLE', `the log has ${size} bytes`, [], { 'content-range': `bytes */${size}` });
        }
        const start = range?.start ?? 0;
        const end = range ? range.end + 1 : size;
        if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`);
        reply.header('content-length', String(end - start));
        return reply.send(Readable.from(archived(ctx, key, start, end)));
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/runs/:id/tasks/:task/attempts/:n/log-chunks',
      operationId: 'listLogChunks',
      summary: "When each part of an attempt's log was stored: the stored chunks' byte ranges and times",
      description:
        'For per-line times: a line was stored with the chunk holding its end. Chunks in byte order from the one holding byte `from` (default 0), ' +
        `at most \`limit\` (1–${LOG_CHUNK_TIMES_MAX_LIMIT}, default 1000); \`next\` continues. \`storedAt\` is null for chunks stored before stored times were kept. No log data is read.`,
      tags: ['runs', 'logs'],
      access: { kind: 'run', role: 'viewer' },
      schema: {
        params: AttemptParams,
        querystring: Type.Object({
          from: Type.Optional(Type.Integer({ minimum: 0, maximum: 9007199254740991 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LOG_CHUNK_TIMES_MAX_LIMIT, default: 1000 })),
        }),
        response: { 200: LogChunkTimesView },
      },
      async handler(c) {
        const key = { runId: c.params.id, task: c.params.task, attempt: c.params.n };
        if (!(await getAttempt(c.ctx.pool, key.runId, key.task, key.attempt))) throw apiError('NOT_FOUND', `run ${key.runId} task ${key.task} has no attempt ${key.attempt}`);
        const page = await listLogChunkTimes(c.ctx.pool, key, c.query.from ?? 0, c.query.limit ?? 1000);
        return {
          items: page.chunks.map((x) => ({ offset: x.offset, size: x.size, storedAt: x.storedAt === null ? null : new Date(x.storedAt).toISOString() })),
          ...(page.next !== undefined ? { next: page.next } : {}),
        };
      },
    }),
  ];
}
