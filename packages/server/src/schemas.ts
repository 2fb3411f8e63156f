// Request schemas (TypeBox → JSON Schema): Fastify validates requests with them and the OpenAPI
// document is generated from the same objects.
import { Type, type TSchema } from '@sinclair/typebox';

export const NAME_PATTERN = '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$';
export const Name = Type.String({ minLength: 1, maxLength: 253, pattern: NAME_PATTERN, description: 'A Kubernetes-style name' });
export const Namespace = Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' });
export const RoleSchema = Type.Union([Type.Literal('viewer'), Type.Literal('editor'), Type.Literal('admin')]);
export const NamespaceOrAll = Type.Union([Namespace, Type.Literal('*')]);
export const Binding = Type.Object({ namespace: NamespaceOrAll, role: RoleSchema }, { additionalProperties: false });
export const Id = Type.Integer({ minimum: 1, maximum: 9007199254740991 });
export const RunStatusSchema = Type.Union(['pending', 'running', 'succeeded', 'failed', 'canceled'].map((s) => Type.Literal(s)));
export const Limit = Type.Integer({ minimum: 1, maximum: 500, default: 50 });
export const Cursor = Type.String({ maxLength: 200, description: 'Opaque cursor from the previous page' });
export const Timestamp = Type.String({ format: 'date-time' });
export const Username = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z][A-Za-z0-9_.@-]*$' });
export const Password = Type.String({ minLength: 1, maxLength: 1024 });
export const Parameters = Type.Record(Type.String({ minLength: 1, maxLength: 253 }), Type.String({ maxLength: 65536 }), {
  description: 'Parameter name → value (strings only)',
});

export const NsParams = Type.Object({ ns: Namespace });
export const NsNameParams = Type.Object({ ns: Namespace, name: Name });
export const RunParams = Type.Object({ id: Id });
export const AttemptParams = Type.Object({ id: Id, task: Type.String({ minLength: 1, maxLength: 253 }), n: Type.Integer({ minimum: 1, maximum: 1_000_000 }) });
export const TaskParams = Type.Object({ id: Id, task: Type.String({ minLength: 1, maxLength: 253 }) });

export const ErrorBody = Type.Object({
  code: Type.String(),
  message: Type.String(),
  details: Type.Array(Type.Object({ path: Type.String(), message: Type.String(), line: Type.Optional(Type.Integer()), column: Type.Optional(Type.Integer()) })),
});

export const Ok = Type.Object({}, { additionalProperties: true });

/** A page of items with the cursor of the next page (absent on the last page). */
export function Page<T extends TSchema>(item: T): TSchema {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Optional(Type.String()) });
}

export const RunSummary = Type.Object(
  {
    id: Type.Integer(),
    name: Type.Union([Type.String(), Type.Null()]),
    namespace: Type.String(),
    dag: Type.String(),
    dagVersion: Type.Integer(),
    status: RunStatusSchema,
    trigger: Type.String(),
    parameters: Type.Record(Type.String(), Type.String()),
    createdAt: Timestamp,
    startedAt: Type.Union([Timestamp, Type.Null()]),
    finishedAt: Type.Union([Timestamp, Type.Null()]),
  },
  { additionalProperties: true },
);

export const AttemptView = Type.Object(
  {
    attempt: Type.Integer(),
    status: Type.String(),
    exitCode: Type.Union([Type.Integer(), Type.Null()]),
    reason: Type.Union([Type.String(), Type.Null()]),
    createdAt: Timestamp,
    startedAt: Type.Union([Timestamp, Type.Null()]),
    finishedAt: Type.Union([Timestamp, Type.Null()]),
    durationMs: Type.Union([Type.Integer(), Type.Null()]),
    logSize: Type.Integer(),
  },
  { additionalProperties: true },
);

export const RunDetailView = Type.Intersect([
  RunSummary,
  Type.Object({
    graph: Type.Object({ nodes: Type.Array(Type.String()), edges: Type.Array(Type.Object({ from: Type.String(), to: Type.String() })) }),
    tasks: Type.Array(
      Type.Object(
        { name: Type.String(), status: Type.String(), reason: Type.Union([Type.String(), Type.Null()]), runAfter: Type.Array(Type.String()), attempts: Type.Array(AttemptView) },
        { additionalProperties: true },
      ),
    ),
  }),
]);

export const ApplyResultView = Type.Object(
  {
    kind: Type.String(),
    namespace: Type.String(),
    name: Type.String(),
    version: Type.Integer(),
    created: Type.Boolean(),
    dryRun: Type.Boolean(),
    warnings: Type.Optional(
      Type.Array(Type.Object({ path: Type.String(), message: Type.String() }, { additionalProperties: true }), {
        description: 'Problems that do not stop the resource, e.g. a parameter substituted into a `sh -c` script',
      }),
    ),
  },
  { additionalProperties: true },
);

export const DagView = Type.Object(
  {
    namespace: Type.String(),
    name: Type.String(),
    version: Type.Integer(),
    suspended: Type.Boolean(),
    schedule: Type.Union([Type.String(), Type.Null()]),
    labels: Type.Record(Type.String(), Type.String()),
  },
  { additionalProperties: true },
);

export const TokenView = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    user: Type.String(),
    prefix: Type.String(),
    role: RoleSchema,
    namespaces: Type.Array(Type.String()),
    expiresAt: Type.Union([Timestamp, Type.Null()]),
    lastUsedAt: Type.Union([Timestamp, Type.Null()]),
    revokedAt: Type.Union([Timestamp, Type.Null()]),
    createdAt: Timestamp,
  },
  { additionalProperties: true },
);

export const UserView = Type.Object(
  { username: Type.String(), disabled: Type.Boolean(), roles: Type.Array(Binding), createdAt: Timestamp },
  { additionalProperties: true },
);

/** The text body of resource routes, by content type (YAML, JSON or the DSL). */
export const RESOURCE_CONTENT_TYPES = ['application/yaml', 'application/json', 'text/x-kontroler-dsl', 'text/plain'];
