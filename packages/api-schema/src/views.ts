// Response bodies of the API (TypeBox). They document the API (the OpenAPI document) and are the
// one source of the client's types (`Static<typeof X>` in @kontroler/client); the server does not
// serialise through them. Objects allow more properties than they list: a client must ignore
// fields it does not know. Times are ISO 8601 strings.
import { Type, type TSchema } from '@sinclair/typebox';
import { Binding, FieldErrorView, RoleSchema, RunStatusSchema, TaskStatusSchema, Timestamp } from './schemas.js';

const open = { additionalProperties: true } as const;

function Nullable<T extends TSchema>(t: T) {
  return Type.Union([t, Type.Null()]);
}

export const UserView = Type.Object(
  {
    username: Type.String(),
    disabled: Type.Boolean(),
    mustChangePassword: Type.Boolean(),
    roles: Type.Array(Binding),
    createdAt: Timestamp,
    passwordChangedAt: Timestamp,
  },
  open,
);

export const LoginResultView = Type.Object({ token: Type.String(), expiresAt: Timestamp, csrfToken: Type.String(), user: UserView });

export const MeView = Type.Object(
  {
    username: Type.String(),
    kind: Type.Union([Type.Literal('user'), Type.Literal('token'), Type.Literal('workload')], { description: '`workload`: a Kubernetes service account token' }),
    roles: Type.Array(Binding),
    token: Type.Optional(Type.Object({ id: Type.Integer(), name: Type.String() })),
  },
  open,
);

/** How one signs in to a server: the password form, single sign-on, or both. */
export const AuthProvidersView = Type.Object({
  password: Type.Boolean(),
  sso: Nullable(Type.Object({ name: Type.String(), loginUrl: Type.String() })),
});

export const TokenView = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    user: Type.String(),
    prefix: Type.String(),
    role: RoleSchema,
    namespaces: Type.Array(Type.String()),
    expiresAt: Nullable(Timestamp),
    lastUsedAt: Nullable(Timestamp),
    revokedAt: Nullable(Timestamp),
    createdAt: Timestamp,
  },
  open,
);

export const DagView = Type.Object(
  {
    namespace: Type.String(),
    name: Type.String(),
    version: Type.Integer(),
    suspended: Type.Boolean(),
    schedule: Nullable(Type.String()),
    timezone: Type.String(),
    concurrencyPolicy: Type.String(),
    labels: Type.Record(Type.String(), Type.String()),
    source: Type.String(),
    nextFireAt: Nullable(Timestamp),
    lastFiredAt: Nullable(Timestamp),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    lastRun: Type.Optional(Nullable(Type.Object({ id: Type.Integer(), status: RunStatusSchema, createdAt: Timestamp }))),
    recentRuns: Type.Optional(
      Type.Array(Type.Object({ id: Type.Integer(), status: RunStatusSchema, createdAt: Timestamp }), {
        maxItems: 25,
        description: 'Listings: the last 10 runs, newest first (the outcome strip of the DAG list)',
      }),
    ),
    parameters: Type.Optional(
      Type.Array(Type.Object({ name: Type.String(), defaultValue: Type.Optional(Type.String()), defaultFromSecret: Type.Optional(Type.String()) }, open), {
        description: "The DAG's parameters (single-DAG reads): a default value or the secret it comes from",
      }),
    ),
    spec: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    definition: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  open,
);

/** A DAG's grid: its last runs (columns, newest first) × its tasks (rows), each cell a task status. */
export const DagGridView = Type.Object({
  namespace: Type.String(),
  name: Type.String(),
  runs: Type.Array(
    Type.Object({
      id: Type.Integer(),
      status: RunStatusSchema,
      dagVersion: Type.Integer(),
      createdAt: Timestamp,
      startedAt: Nullable(Timestamp),
      finishedAt: Nullable(Timestamp),
      taskTotal: Type.Integer({ minimum: 0, description: 'The run’s tasks, mapped instances included' }),
      taskCounts: Type.Record(TaskStatusSchema, Type.Integer({ minimum: 0 }), { description: 'Tasks per status, every status present: the summary of a run larger than the grid' }),
    }),
    { maxItems: 100 },
  ),
  tasks: Type.Array(
    Type.Object({
      name: Type.String(),
      states: Type.Array(Nullable(TaskStatusSchema), { description: '`states[i]`: the task’s status in `runs[i]`; null when that run has no such task (another version) or it is past the grid’s 500 tasks' }),
    }),
    { maxItems: 500, description: 'In definition order of the newest run that has the task; mapped instances are not rows' },
  ),
  tasksTruncated: Type.Boolean({ description: 'More tasks than the grid holds (500): use the run page for the rest' }),
});

export const DagVersionView = Type.Object(
  {
    namespace: Type.String(),
    name: Type.String(),
    version: Type.Integer(),
    hash: Type.String(),
    createdAt: Timestamp,
    spec: Type.Record(Type.String(), Type.Unknown()),
    definition: Type.Record(Type.String(), Type.Unknown()),
  },
  open,
);

export const DagTaskSummaryView = Type.Object(
  { namespace: Type.String(), name: Type.String(), version: Type.Integer(), createdAt: Timestamp, updatedAt: Timestamp },
  open,
);

export const ApplyResultView = Type.Object(
  {
    kind: Type.Union([Type.Literal('DAG'), Type.Literal('DagTask')]),
    namespace: Type.String(),
    name: Type.String(),
    version: Type.Integer(),
    created: Type.Boolean(),
    dryRun: Type.Boolean(),
    warnings: Type.Optional(
      Type.Array(Type.Object({ path: Type.String(), message: Type.String() }, open), {
        description: 'Problems that do not stop the resource, e.g. a parameter substituted into a `sh -c` script',
      }),
    ),
  },
  open,
);

export const ValidateResultView = Type.Object(
  { valid: Type.Boolean(), errors: Type.Optional(Type.Array(FieldErrorView)), message: Type.Optional(Type.String()) },
  open,
);

export const RunSummary = Type.Object(
  {
    id: Type.Integer(),
    name: Nullable(Type.String()),
    namespace: Type.String(),
    dag: Type.String(),
    dagVersion: Type.Integer(),
    status: RunStatusSchema,
    trigger: Type.String(),
    logicalTime: Type.Optional(Nullable(Type.String({ description: 'The fire time the run stands for (a scheduled or backfilled run, or one started with it), RFC 3339 in the DAG\'s time zone' }))),
    prevLogicalTime: Type.Optional(Nullable(Type.String({ description: 'The schedule\'s fire time before logicalTime' }))),
    timezone: Type.Optional(Type.String({ description: 'The time zone of the logical times' })),
    backfillId: Type.Optional(Type.Integer({ description: 'The backfill that created the run' })),
    parameters: Type.Record(Type.String(), Type.String()),
    secretParameters: Type.Array(Type.String()),
    cancelRequested: Type.Boolean(),
    requested: Nullable(Type.Union([Type.Literal('cancel'), Type.Literal('retry'), Type.Literal('tasks')], { description: "A request the controller has yet to carry out: cancel, retry, or 'tasks' (task actions: POST /runs/{id}/tasks/{task}/retry or /mark)" })),
    createdAt: Timestamp,
    startedAt: Nullable(Timestamp),
    finishedAt: Nullable(Timestamp),
    durationMs: Nullable(Type.Integer()),
    taskCounts: Type.Optional(Type.Record(Type.String(), Type.Integer())),
    parent: Type.Optional(Type.Object({ runId: Type.Integer(), task: Type.String(), attempt: Type.Integer() }, { description: 'A child run: the dagRef attempt that started it' })),
    outputs: Type.Optional(Type.Record(Type.String(), Type.String(), { description: "The DAG's declared outputs, once the run succeeded" })),
  },
  open,
);

export const AttemptView = Type.Object(
  {
    attempt: Type.Integer(),
    status: Type.String(),
    exitCode: Nullable(Type.Integer()),
    reason: Nullable(Type.String()),
    handle: Nullable(Type.String()),
    createdAt: Timestamp,
    startedAt: Nullable(Timestamp),
    finishedAt: Nullable(Timestamp),
    durationMs: Nullable(Type.Integer()),
    logSize: Type.Integer(),
    kind: Type.Optional(Type.Union([Type.Literal('approval'), Type.Literal('child')], { description: 'Absent: a runtime attempt (process / pod)' })),
    outputs: Type.Optional(Type.Record(Type.String(), Type.String(), { description: "The task's declared outputs, once the attempt succeeded" })),
    resolved: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'What references resolved to when the attempt was created (secrets left as written)' })),
    childRunId: Type.Optional(Type.Integer({ description: 'A dagRef attempt: the child run it started' })),
  },
  open,
);

/** An approval task's request and, once made, its decision. */
/** A recorded decision on an approval attempt (the answer of POST .../approve and .../reject). */
export const ApprovalDecisionView = Type.Object({
  runId: Type.Integer(),
  task: Type.String(),
  attempt: Type.Integer(),
  approve: Type.Boolean(),
  by: Type.String(),
  comment: Nullable(Type.String()),
  inputs: Type.Record(Type.String(), Type.String()),
  at: Timestamp,
});

/** The body of POST .../approve and .../reject: a comment for the record, the approval's declared inputs. */
export const ApprovalDecisionBody = Type.Object(
  {
    comment: Type.Optional(Type.String({ maxLength: 4096, description: 'Why, for the record (at most 4096 characters)' })),
    inputs: Type.Optional(
      Type.Record(Type.String({ maxLength: 63 }), Type.String({ maxLength: 4096 }), {
        maxProperties: 16,
        description: "Values of the approval's declared inputs (approve: every declared input; they become the task's outputs)",
      }),
    ),
  },
  { additionalProperties: false },
);

/** GET .../attempts/{n}/log-chunks: the stored chunks' byte ranges and when each was stored. */
export const LogChunkTimesView = Type.Object({
  items: Type.Array(
    Type.Object({
      offset: Type.Integer({ description: 'First byte of the chunk in the log' }),
      size: Type.Integer({ description: 'Bytes in the chunk' }),
      storedAt: Nullable(Timestamp),
    }),
  ),
  next: Type.Optional(Type.Integer({ description: 'Pass as `from` for the next page' })),
});

/** The body of POST /runs/{id}/tasks/{task}/retry. */
export const TaskRetryBody = Type.Object(
  { downstream: Type.Optional(Type.Boolean({ description: 'Also run again every finished task after it (through runAfter); default false' })) },
  { additionalProperties: false },
);

/** The body of POST /runs/{id}/tasks/{task}/mark. */
export const TaskMarkBody = Type.Object(
  { status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')], { description: 'The outcome the task gets' }) },
  { additionalProperties: false },
);

/** A task action as recorded for the run's controller (202: it carries it out). */
export const TaskRequestView = Type.Object({
  id: Type.Integer(),
  runId: Type.Integer(),
  task: Type.String(),
  action: Type.Union([Type.Literal('retry'), Type.Literal('mark')]),
  downstream: Type.Optional(Type.Boolean()),
  status: Type.Optional(Type.Union([Type.Literal('succeeded'), Type.Literal('failed')])),
  by: Type.String(),
  at: Timestamp,
});

export const ApprovalView = Type.Object(
  {
    attempt: Type.Integer(),
    message: Type.String(),
    inputs: Type.Array(Type.String(), { description: 'Names of the values the decision must give' }),
    timeoutAt: Nullable(Timestamp),
    onTimeout: Type.Union([Type.Literal('Reject'), Type.Literal('Approve')]),
    waiting: Type.Boolean({ description: 'The approval waits for a decision now (approve / reject are accepted)' }),
    decision: Nullable(
      Type.Object({
        approve: Type.Boolean(),
        by: Type.String(),
        comment: Nullable(Type.String()),
        inputs: Type.Record(Type.String(), Type.String()),
        at: Timestamp,
      }),
    ),
  },
  open,
);

export const RunTaskView = Type.Object(
  {
    name: Type.String(),
    status: Type.String(),
    reason: Nullable(Type.String()),
    retryAt: Nullable(Timestamp),
    runAfter: Type.Array(Type.String()),
    image: Type.String(),
    attempts: Type.Array(AttemptView),
    triggerRule: Type.Optional(Type.String()),
    retryLimit: Type.Optional(Type.Integer()),
    position: Type.Optional(Type.Integer({ minimum: 0, description: "The task's index in the run's definition (the listing order); always sent" })),
    outputs: Type.Optional(Type.Record(Type.String(), Type.String(), { description: "The outputs of the task's last succeeded attempt (a mapped task: JSON arrays over its instances)" })),
    kind: Type.Optional(Type.Union([Type.Literal('task'), Type.Literal('map'), Type.Literal('instance'), Type.Literal('approval'), Type.Literal('dagRef')])),
    mapOf: Type.Optional(Type.String({ description: 'An instance (`NAME[i]`): the mapped task' })),
    index: Type.Optional(Type.Integer({ minimum: 0 })),
    item: Type.Optional(Type.Unknown({ description: "An instance's item" })),
    instances: Type.Optional(Type.Integer({ minimum: 0, description: 'A mapped task: how many instances it has (once its items are known)' })),
    instanceCounts: Type.Optional(Type.Record(Type.String(), Type.Integer({ minimum: 0 }), { description: "A mapped task: its instances per status" })),
    when: Type.Optional(Type.String()),
    approval: Type.Optional(ApprovalView),
    childRunId: Type.Optional(Type.Integer({ description: "A dagRef task: its last attempt's child run" })),
  },
  open,
);

const Edge = Type.Object({ from: Type.String(), to: Type.String() });

/** A DAG too large to draw task by task (more than GRAPH_MAX_NODES tasks), grouped by name prefix. */
export const GraphSummaryView = Type.Object(
  {
    groups: Type.Array(
      Type.Object({
        id: Type.String({ description: 'The name prefix: a task name without its trailing digits and `-_.` (`shard-00042` → `shard`)' }),
        size: Type.Integer({ minimum: 0 }),
        counts: Type.Record(Type.String(), Type.Integer({ minimum: 0 }), { description: 'Tasks of the group per status (statuses with none left out)' }),
      }),
    ),
    edges: Type.Array(Edge, { description: 'from → to when a task of `to` runs after a task of `from`' }),
    tasks: Type.Integer({ minimum: 0, description: 'Tasks in the DAG' }),
    truncated: Type.Optional(Type.Literal(true, { description: 'More groups than GRAPH_MAX_NODES: only the largest are listed' })),
  },
  open,
);

export const RunDetailView = Type.Intersect([
  RunSummary,
  Type.Object({
    taskCounts: Type.Record(TaskStatusSchema, Type.Integer({ minimum: 0 }), { description: 'Tasks per status, every status present' }),
    taskTotal: Type.Integer({ minimum: 0 }),
    tasks: Type.Array(RunTaskView, { maxItems: 100, description: 'The first page of tasks, in definition order' }),
    tasksNextCursor: Type.Optional(Type.String({ description: 'Cursor for GET /runs/{id}/tasks to continue; absent when `tasks` holds every task' })),
    graph: Type.Optional(
      Type.Object({ nodes: Type.Array(Type.String()), edges: Type.Array(Edge) }, { description: 'The graph, when the DAG has at most GRAPH_MAX_NODES (2,000) tasks' }),
    ),
    graphSummary: Type.Optional(GraphSummaryView),
  }),
]);

export const DeliveryView = Type.Object(
  {
    id: Type.Integer(),
    event: Type.String(),
    url: Type.String(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
    attempts: Type.Integer(),
    lastStatus: Nullable(Type.Integer()),
    lastError: Nullable(Type.String()),
    createdAt: Timestamp,
    deliveredAt: Nullable(Timestamp),
  },
  open,
);

const Count = Type.Integer({ minimum: 0 });

export const StatsView = Type.Object({
  from: Timestamp,
  to: Timestamp,
  runsPerDay: Type.Array(Type.Object({ day: Type.String(), succeeded: Count, failed: Count, canceled: Count, running: Count, pending: Count })),
  totals: Type.Object({ runs: Count, succeeded: Count, failed: Count, canceled: Count, active: Count }),
  successRate: Nullable(Type.Number({ description: 'succeeded / (succeeded + failed + canceled), or null when no run ended' })),
  durations: Type.Array(
    Type.Object({
      namespace: Type.String(),
      dag: Type.String(),
      runs: Count,
      p50Seconds: Type.Number({ description: 'wall time (start to end, idle waits such as the time before a manual retry included), median' }),
      p95Seconds: Type.Number({ description: 'wall time, 95th percentile' }),
      executionP50Seconds: Type.Number({ description: 'execution time (how long at least one attempt ran; approvals excluded), median' }),
      executionP95Seconds: Type.Number({ description: 'execution time, 95th percentile' }),
      attemptP50Seconds: Type.Number({ description: 'sum of the attempts’ durations, median' }),
      attemptP95Seconds: Type.Number({ description: 'sum of the attempts’ durations, 95th percentile' }),
    }),
  ),
  failingTasks: Type.Array(Type.Object({ namespace: Type.String(), dag: Type.String(), task: Type.String(), failedAttempts: Count, runs: Count })),
});

/** One event of a log stream: a chunk of text at its byte offset, or the end of the attempt. */
export const LogEventView = Type.Union([
  Type.Object({ type: Type.Literal('log'), offset: Type.Integer(), text: Type.String() }),
  Type.Object({ type: Type.Literal('end'), status: Type.String(), exitCode: Nullable(Type.Integer()), reason: Nullable(Type.String()) }),
]);

export const AuditEntryView = Type.Object(
  {
    id: Type.Integer(),
    at: Timestamp,
    actor: Type.String(),
    action: Type.String(),
    outcome: Type.Union([Type.Literal('ok'), Type.Literal('denied'), Type.Literal('failed')]),
    namespace: Nullable(Type.String()),
    resource: Nullable(Type.String()),
    details: Type.Record(Type.String(), Type.Unknown()),
    address: Nullable(Type.String()),
  },
  open,
);
