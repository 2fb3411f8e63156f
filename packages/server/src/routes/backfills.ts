// Backfills (issue 18): one run per fire time of a DAG's schedule in [from, to), at most maxActive
// of them active at once; listed with their progress and cancelable as a whole. RBAC as for
// starting runs: editor in the DAG's namespace to create or cancel, viewer to read.
import { Type } from '@sinclair/typebox';
import { formatLogicalTime, hasCode, parseLogicalTime, type KontrolerError } from '@kontroler/core';
import {
  BACKFILLS_MAX_LIMIT, cancelBackfill, createBackfill, getBackfill, getDagVersion, listBackfillFires, listBackfills, planBackfill,
  type BackfillPlan, type BackfillRecord,
} from '@kontroler/store';
import { apiError } from '../http-errors.js';
import { namespacesWith, roleAtLeast, roleIn, type Principal } from '../rbac.js';
import type { AnyRoute } from '../route.js';
import { route } from '../route.js';
import { BackfillBody, BackfillCreatedView, BackfillDetailView, BackfillView, Cursor, Id, Name, Namespace, NsNameParams, Page } from '../schemas.js';
import { decodeCursor, encodeCursor, iso } from '../views.js';

/** Fire times (and skipped ones) a create answer lists; the counts are always exact. */
export const BACKFILL_LISTED_FIRES = 1000;

function backfillView(b: BackfillRecord) {
  return {
    id: b.id,
    namespace: b.namespace,
    dag: b.dagName,
    from: iso(b.from),
    to: iso(b.to),
    maxActive: b.maxActive,
    reverse: b.reverse,
    createdBy: b.createdBy,
    status: b.status,
    error: b.error,
    createdAt: iso(b.createdAt),
    finishedAt: iso(b.finishedAt),
    progress: b.progress,
  };
}

function time(field: 'from' | 'to', text: string): number {
  const t = parseLogicalTime(text);
  if (!t.ok) throw apiError('VALIDATION_FAILED', `${field}: ${t.message}`, [{ path: `body.${field}`, message: t.message }]);
  return t.ms;
}

function planView(plan: BackfillPlan, timezone: string, dryRun: boolean) {
  return {
    dryRun,
    timezone,
    fireTimes: (dryRun ? plan.fireTimes : plan.fireTimes.slice(0, BACKFILL_LISTED_FIRES)).map((t) => formatLogicalTime(t, timezone)),
    fireTimeCount: plan.fireTimes.length,
    skipped: plan.skipped.slice(0, BACKFILL_LISTED_FIRES).map((s) => ({ logicalTime: formatLogicalTime(s.at, timezone), runId: s.runId, runName: s.runName })),
    skippedCount: plan.skippedCount,
  };
}

/** A backfill the caller may see with `role` (404 when it may not see it at all, 403 when it lacks the role). */
async function visibleBackfill(pool: Parameters<typeof getBackfill>[0], who: Principal, id: number, role: 'viewer' | 'editor'): Promise<BackfillRecord> {
  const b = await getBackfill(pool, id);
  const have = b ? roleIn(who, b.namespace) : undefined;
  if (!b || !roleAtLeast(have, 'viewer')) throw apiError('NOT_FOUND', `backfill ${id} not found`);
  if (!roleAtLeast(have, role)) throw apiError('FORBIDDEN', `${who.username} lacks the ${role} role in namespace ${b.namespace}`);
  return b;
}

export function backfillRoutes(): AnyRoute[] {
  const nsEditor = { kind: 'namespace', role: 'editor' } as const;
  const nsViewer = { kind: 'namespace', role: 'viewer' } as const;
  return [
    route({
      method: 'POST',
      url: '/api/v1/namespaces/:ns/dags/:name/backfills',
      operationId: 'createBackfill',
      summary: "Backfill a DAG: one run per fire time of its schedule in [from, to), with that logical time",
      description:
        'Fire times that already have a run of the DAG (scheduled or backfilled) are skipped and listed. At most 10,000 fire times (400 naming `to` beyond); ' +
        'a DAG without a schedule answers 400 naming it. `dryRun` answers the fire times and creates nothing.',
      tags: ['backfills'],
      access: nsEditor,
      audit: 'backfill.create',
      schema: { params: NsNameParams, body: BackfillBody, response: { 201: BackfillCreatedView, 200: BackfillCreatedView } },
      async handler(c) {
        const { ns, name } = c.params;
        const input = {
          namespace: ns,
          dagName: name,
          from: time('from', c.body.from),
          to: time('to', c.body.to),
          ...(c.body.maxActive !== undefined ? { maxActive: c.body.maxActive } : {}),
          ...(c.body.reverse !== undefined ? { reverse: c.body.reverse } : {}),
          createdBy: c.who.username,
        };
        const v = await getDagVersion(c.ctx.pool, ns, name);
        const timezone = v?.definition.timezone ?? 'UTC';
        if (c.body.dryRun === true) {
          const plan = await requestPaths(planBackfill(c.ctx.pool, input));
          c.audit({ dag: name, dryRun: true, from: c.body.from, to: c.body.to, fireTimes: plan.fireTimes.length });
          return planView(plan, timezone, true);
        }
        const { backfill, plan } = await requestPaths(createBackfill(c.ctx.pool, input));
        c.audit({ dag: name, backfillId: backfill.id, from: c.body.from, to: c.body.to, maxActive: backfill.maxActive, reverse: backfill.reverse, fireTimes: plan.fireTimes.length, skipped: plan.skippedCount });
        c.reply.code(201);
        return { ...planView(plan, timezone, false), backfill: backfillView(backfill) };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/namespaces/:ns/dags/:name/backfills',
      operationId: 'listDagBackfills',
      summary: "The DAG's backfills, newest first, with their progress",
      tags: ['backfills'],
      access: nsViewer,
      schema: {
        params: NsNameParams,
        querystring: Type.Object({ cursor: Type.Optional(Cursor), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: BACKFILLS_MAX_LIMIT, default: 50 })) }),
        response: { 200: Page(BackfillView) },
      },
      async handler(c) {
        return page(await listBackfills(c.ctx.pool, { namespace: c.params.ns, dagName: c.params.name, ...cursorOf(c.query.cursor), limit: c.query.limit ?? 50 }), c.query.limit ?? 50);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/backfills',
      operationId: 'listBackfills',
      summary: 'Backfills of every namespace you can see, newest first',
      tags: ['backfills'],
      access: { kind: 'any-namespace', role: 'viewer' },
      schema: {
        querystring: Type.Object({
          namespace: Type.Optional(Namespace),
          dag: Type.Optional(Name),
          cursor: Type.Optional(Cursor),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: BACKFILLS_MAX_LIMIT, default: 50 })),
        }),
        response: { 200: Page(BackfillView) },
      },
      async handler(c) {
        const visible = namespacesWith(c.who, 'viewer');
        const limit = c.query.limit ?? 50;
        const list = await listBackfills(c.ctx.pool, {
          ...(visible ? { namespaces: visible } : {}),
          ...(c.query.namespace ? { namespace: c.query.namespace } : {}),
          ...(c.query.dag ? { dagName: c.query.dag } : {}),
          ...cursorOf(c.query.cursor),
          limit,
        });
        return page(list, limit);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/backfills/:id',
      operationId: 'getBackfill',
      summary: 'A backfill, its progress and its first 1,000 fire times with their runs',
      tags: ['backfills'],
      access: { kind: 'any-namespace', role: 'viewer' },
      schema: { params: Type.Object({ id: Id }), response: { 200: BackfillDetailView } },
      async handler(c) {
        const b = await visibleBackfill(c.ctx.pool, c.who, c.params.id, 'viewer');
        const v = await getDagVersion(c.ctx.pool, b.namespace, b.dagName);
        const tz = v?.definition.timezone ?? 'UTC';
        const fires = await listBackfillFires(c.ctx.pool, b.id, BACKFILL_LISTED_FIRES);
        return { ...backfillView(b), timezone: tz, fires: fires.map((f) => ({ logicalTime: formatLogicalTime(f.at, tz), runId: f.runId, status: f.status, skipped: f.skipped })) };
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/backfills/:id/cancel',
      operationId: 'cancelBackfill',
      summary: 'Cancel a backfill: no further fire time is released and its pending and running runs are canceled',
      tags: ['backfills'],
      access: { kind: 'any-namespace', role: 'editor' },
      audit: 'backfill.cancel',
      schema: { params: Type.Object({ id: Id }), response: { 200: BackfillView } },
      async handler(c) {
        const b = await visibleBackfill(c.ctx.pool, c.who, c.params.id, 'editor');
        const { backfill, canceledRuns } = await cancelBackfill(c.ctx.pool, b.id);
        c.audit({ backfillId: b.id, dag: b.dagName, canceledRuns }, b.namespace);
        return backfillView(backfill);
      },
    }),
  ];
}

/** The store's field errors (`to`, `maxActive`, `dag`) as paths of this request (`body.to`, `params.name`). */
async function requestPaths<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (!hasCode(e, 'VALIDATION_FAILED')) throw e;
    const err = e as KontrolerError;
    throw apiError('VALIDATION_FAILED', err.message, err.details.map((d) => ({ ...d, path: d.path === 'dag' ? 'params.name' : `body.${d.path}` })));
  }
}

function cursorOf(cursor: string | undefined): { beforeId?: number } {
  if (cursor === undefined) return {};
  const v = decodeCursor(cursor);
  if (!(typeof v === 'number' && Number.isSafeInteger(v) && v > 0)) throw apiError('VALIDATION_FAILED', 'bad cursor', [{ path: 'query.cursor', message: 'is not a cursor from this API' }]);
  return { beforeId: v };
}

function page(list: BackfillRecord[], limit: number) {
  const last = list[list.length - 1];
  return { items: list.map(backfillView), ...(list.length === limit && last ? { nextCursor: encodeCursor(last.id) } : {}) };
}
