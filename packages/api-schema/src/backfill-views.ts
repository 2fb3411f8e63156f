// Backfills (issue 18): request and response bodies. Times are ISO 8601 / RFC 3339 strings.
import { Type } from '@sinclair/typebox';
import { Timestamp } from './schemas.js';

const open = { additionalProperties: true } as const;

/** A logical time as a user writes it: RFC 3339 with an offset (checked by the server, which names the field). */
const TimeText = Type.String({ minLength: 1, maxLength: 40, description: 'RFC 3339 with an offset, e.g. 2026-01-01T00:00:00Z' });

export const BackfillBody = Type.Object(
  {
    from: TimeText,
    to: Type.String({ ...TimeText, description: 'End of the range, exclusive: [from, to)' }),
    maxActive: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Most runs of the backfill pending or running at once (default 1)' })),
    reverse: Type.Optional(Type.Boolean({ description: 'Newest fire time first' })),
    dryRun: Type.Optional(Type.Boolean({ description: 'Only answer the fire times; create nothing' })),
  },
  { additionalProperties: false },
);

export const BackfillProgressView = Type.Object(
  {
    done: Type.Integer({ description: 'Runs succeeded' }),
    running: Type.Integer({ description: 'Runs pending or running' }),
    failed: Type.Integer({ description: 'Runs failed or canceled' }),
    pending: Type.Integer({ description: 'Fire times without a run yet' }),
    skipped: Type.Integer({ description: 'Fire times that had a run of the DAG already' }),
    total: Type.Integer(),
  },
  open,
);

export const BackfillView = Type.Object(
  {
    id: Type.Integer(),
    namespace: Type.String(),
    dag: Type.String(),
    from: Timestamp,
    to: Timestamp,
    maxActive: Type.Integer(),
    reverse: Type.Boolean(),
    createdBy: Type.String(),
    status: Type.Union([Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('canceled')]),
    error: Type.Union([Type.String(), Type.Null()]),
    createdAt: Timestamp,
    finishedAt: Type.Union([Timestamp, Type.Null()]),
    progress: BackfillProgressView,
  },
  open,
);

export const SkippedFireView = Type.Object({ logicalTime: Type.String(), runId: Type.Integer(), runName: Type.String() }, open);

export const BackfillCreatedView = Type.Object(
  {
    dryRun: Type.Boolean(),
    backfill: Type.Optional(BackfillView),
    timezone: Type.String({ description: "The DAG's time zone, in which fireTimes are written" }),
    fireTimes: Type.Array(Type.String(), { description: 'The fire times that get a run, in release order (dry run: all; else the first 1,000)' }),
    fireTimeCount: Type.Integer(),
    skipped: Type.Array(SkippedFireView, { description: 'Fire times that have a run already (the first 1,000)' }),
    skippedCount: Type.Integer(),
  },
  open,
);

export const BackfillFireView = Type.Object(
  { logicalTime: Type.String(), runId: Type.Union([Type.Integer(), Type.Null()]), status: Type.Union([Type.String(), Type.Null()]), skipped: Type.Boolean() },
  open,
);

export const BackfillDetailView = Type.Intersect([BackfillView, Type.Object({ fires: Type.Array(BackfillFireView, { description: 'The first 1,000 fire times, oldest first' }) })]);
