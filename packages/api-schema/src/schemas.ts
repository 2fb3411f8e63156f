// Request schemas and the shared pieces of the API (TypeBox → JSON Schema): the server's Fastify
// validates requests with them and the OpenAPI document is generated from the same objects.
// Response bodies are in views.ts. Nothing here may need Node or the DOM.
import { Type, type TArray, type TObject, type TOptional, type TSchema, type TString } from '@sinclair/typebox';

export const NAME_PATTERN = '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$';
export const Name = Type.String({ minLength: 1, maxLength: 253, pattern: NAME_PATTERN, description: 'A Kubernetes-style name' });
export const Namespace = Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' });
export const RoleSchema = Type.Union([Type.Literal('viewer'), Type.Literal('editor'), Type.Literal('admin')]);
export const NamespaceOrAll = Type.Union([Namespace, Type.Literal('*')]);
export const Binding = Type.Object({ namespace: NamespaceOrAll, role: RoleSchema }, { additionalProperties: false });
export const Id = Type.Integer({ minimum: 1, maximum: 9007199254740991 });
export const RunStatusSchema = Type.Union([Type.Literal('pending'), Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('canceled')]);
export const TaskStatusSchema = Type.Union(
  (['pending', 'waiting', 'running', 'succeeded', 'failed', 'skipped', 'canceled'] as const).map((s) => Type.Literal(s)),
);
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

/** One problem with a request or a resource: where (`spec.tasks[1].image`) and what. */
export const FieldErrorView = Type.Object({ path: Type.String(), message: Type.String(), line: Type.Optional(Type.Integer()), column: Type.Optional(Type.Integer()) });

export const ErrorBody = Type.Object({
  code: Type.String(),
  message: Type.String(),
  details: Type.Array(FieldErrorView),
});

export const Ok = Type.Object({}, { additionalProperties: true });

/** A page of items with the cursor of the next page (absent on the last page). */
export function Page<T extends TSchema>(item: T): TObject<{ items: TArray<T>; nextCursor: TOptional<TString> }> {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Optional(Type.String()) });
}

/** What `Page(X)` describes, for any item type (the client's `Page<T>`). */
export interface PageOf<T> {
  items: T[];
  nextCursor?: string;
}

/** The text body of resource routes, by content type (YAML, JSON or the DSL). */
export const RESOURCE_CONTENT_TYPES = ['application/yaml', 'application/json', 'text/x-kontroler-dsl', 'text/plain'];
