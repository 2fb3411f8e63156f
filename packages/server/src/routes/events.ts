// Live updates as Server-Sent Events, fed by the store's NOTIFY (RunEventHub): one run's changes
// (status, task counts, times) for its page and `run --wait`, and every visible run's for the
// lists. Views are told, then read what they show; polling is only their fallback.
import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { messageOf } from '@kontroler/core';
import { getRunChanges, type RunChange } from '@kontroler/store';
import type { ServerContext } from '../context.js';
import { apiError } from '../http-errors.js';
import { namespacesWith } from '../rbac.js';
import { route, type AnyRoute, type Call, type RouteSchemas } from '../route.js';
import type { RunSubscription } from '../run-event-hub.js';
import { RunDetailView, RunParams } from '../schemas.js';
import { readRunDetail } from './runs.js';


/** One SSE message. */
function message(event: string, data: unknown, id?: string): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A run change as the streams send it. */
function changeView(c: RunChange): Record<string, unknown> {
  return {
    id: c.id,
    namespace: c.namespace,
    dag: c.dagName,
    status: c.status,
    requested: c.requested,
    taskCounts: c.counts,
    taskTotal: c.total,
    startedAt: c.startedAt === null ? null : new Date(c.startedAt).toISOString(),
    finishedAt: c.finishedAt === null ? null : new Date(c.finishedAt).toISOString(),
    version: c.version,
  };
}

/** An event whose data is JSON already (serialized by a route's response schema). */
function rawMessage(event: string, json: string, id: string): string {
  return `id: ${id}\nevent: ${event}\ndata: ${json}\n\n`;
}

/**
 * One run: its state at once (unless Last-Event-ID says the client has it), then every change;
 * with `detail`, each as GET /runs/{id}'s answer (a `detail` event, serialized by that route's
 * schema: the view reads it without asking again).
 */
async function* runEvents(
  ctx: ServerContext,
  sub: RunSubscription,
  runId: number,
  lastVersion: string | undefined,
  signal: AbortSignal,
  detail: ((d: { [key: string]: unknown }) => string) | undefined,
): AsyncGenerator<string> {
  const waitMs = ctx.runEvents.waitMs;
  yield `retry: 2000\n: changes of run ${runId}\n\n`;
  let version = lastVersion;
  while (!signal.aborted && !sub.closed) {
    sub.take();
    const [c] = await getRunChanges(ctx.pool, [runId]);
    if (!c) {
      yield message('gone', { id: runId });
      return;
    }
    if (c.version !== version) {
      version = c.version;
      const d = detail ? await readRunDetail(ctx, runId) : undefined;
      yield detail && d ? rawMessage('detail', detail(d), c.version) : message('run', changeView(c), c.version);
    } else {
      yield ': keepalive\n\n';
    }
    await sub.wait(waitMs, signal);
  }
}

/** Every run the caller may see (and the query selects): each change, or `resync` when some were lost. */
async function* allEvents(ctx: ServerContext, sub: RunSubscription, visible: (c: RunChange) => boolean, resumed: boolean, signal: AbortSignal): AsyncGenerator<string> {
  const waitMs = ctx.runEvents.waitMs;
  yield `retry: 2000\n: changes of runs\n\n`;
  // Changes made while the client was away are not kept: it reloads what it shows.
  if (resumed) yield message('resync', {});
  while (!signal.aborted && !sub.closed) {
    const { runIds, overflowed } = sub.take();
    if (overflowed) yield message('resync', {});
    else if (runIds.length > 0) {
      for (const c of await getRunChanges(ctx.pool, runIds)) if (visible(c)) yield message('run', changeView(c), `${c.id}:${c.version}`);
    } else {
      yield ': keepalive\n\n';
    }
    await sub.wait(waitMs, signal);
  }
}

/** Answers with `events` as an SSE stream that ends when the client goes or the subscription is closed. */
function stream<S extends RouteSchemas>(c: Call<S>, sub: RunSubscription, events: (signal: AbortSignal) => AsyncGenerator<string>): unknown {
  const abort = new AbortController();
  c.req.raw.on('close', () => abort.abort());
  const body = Readable.from(events(abort.signal));
  body.on('close', () => {
    sub.close();
    abort.abort();
  });
  body.on('error', (e) => c.ctx.log.warn(`an event stream ended with an error: ${messageOf(e)}`));
  c.reply.header('cache-control', 'no-cache').header('x-accel-buffering', 'no');
  c.reply.type('text/event-stream; charset=utf-8');
  return c.reply.send(body);
}

function checkCapacity(ctx: ServerContext): void {
  if (ctx.runEvents.size >= ctx.config.maxEventStreams) throw apiError('UNAVAILABLE', 'too many live-update streams right now: try again shortly (views poll meanwhile)', [], { 'retry-after': '5' });
}

const VERSION = /^\d{1,20}$/;

export function eventRoutes(): AnyRoute[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/runs/:id/events',
      operationId: 'watchRun',
      summary: "A run's changes, pushed (Server-Sent Events)",
      description:
        'A `run` event with the run as it is now (status, requested, taskCounts, taskTotal, startedAt, finishedAt; the event id is its version), ' +
        'then one at every change (state saves of its controller, cancel and retry requests). With `Last-Event-ID` (a version the client has), ' +
        'the first event comes only when the run changed since. A `gone` event ends it when the run is purged. The stream stays open after the run ends ' +
        '(a retry starts it again): the client closes it. Comment lines keep it alive every 15 s. ' +
        'With `detail=true` each is instead a `detail` event holding what GET /runs/{id} answers then (same ids), so a view need not ask again.',
      tags: ['runs'],
      access: { kind: 'run', role: 'viewer' },
      produces: ['text/event-stream'],
      schema: { params: RunParams, querystring: Type.Object({ detail: Type.Optional(Type.Boolean()) }) },
      async handler(c) {
        checkCapacity(c.ctx);
        const [first] = await getRunChanges(c.ctx.pool, [c.params.id]);
        if (!first) throw apiError('NOT_FOUND', `run ${c.params.id} not found`);
        const last = c.req.headers['last-event-id'];
        const resume = typeof last === 'string' && VERSION.test(last) ? last : undefined;
        const sub = c.ctx.runEvents.subscribe(c.params.id);
        c.ctx.metrics.eventStreams.inc({ stream: 'run' });
        const detail = c.query.detail === true ? c.reply.compileSerializationSchema(RunDetailView) : undefined;
        return stream(c, sub, (signal) => runEvents(c.ctx, sub, c.params.id, resume, signal, detail));
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/events',
      operationId: 'watchRuns',
      summary: 'Changes of every run the caller may see, pushed (Server-Sent Events)',
      description:
        'A `run` event (as GET /runs/{id}/events sends) whenever a run in a namespace where the caller is at least viewer changes; ' +
        '`namespace` and `dag` narrow it. A `resync` event means changes were not kept (after a reconnect with `Last-Event-ID`, or a client that read too ' +
        'slowly): reload what is shown. A change of credentials or roles ends every stream; clients reconnect and are checked again.',
      tags: ['runs'],
      access: { kind: 'any-namespace', role: 'viewer' },
      produces: ['text/event-stream'],
      schema: { querystring: Type.Object({ namespace: Type.Optional(Type.String({ maxLength: 63 })), dag: Type.Optional(Type.String({ maxLength: 253 })) }) },
      async handler(c) {
        checkCapacity(c.ctx);
        const allowed = namespacesWith(c.who, 'viewer');
        const ns = c.query.namespace;
        const dag = c.query.dag;
        const visible = (r: RunChange): boolean =>
          (allowed === undefined || allowed.includes(r.namespace)) && (ns === undefined || r.namespace === ns) && (dag === undefined || r.dagName === dag);
        const resumed = typeof c.req.headers['last-event-id'] === 'string';
        const sub = c.ctx.runEvents.subscribe();
        c.ctx.metrics.eventStreams.inc({ stream: 'all' });
        return stream(c, sub, (signal) => allEvents(c.ctx, sub, visible, resumed, signal));
      },
    }),
  ];
}
