// The route table's entry type. Every route names its permission (`access`) and, when it changes
// something, its audit action; tests walk the table so a new route cannot skip auth or RBAC.
import type { Static, TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerContext } from './context.js';
import { apiError } from './http-errors.js';
import type { Access, Principal } from './rbac.js';

export interface RouteSchemas {
  params?: TSchema;
  querystring?: TSchema;
  body?: TSchema;
  /** Documentation of responses by status (the OpenAPI document); not used to serialise. */
  response?: Record<number, TSchema>;
}

type Of<T> = T extends TSchema ? Static<T> : undefined;

export interface Call<S extends RouteSchemas> {
  params: Of<S['params']>;
  query: Of<S['querystring']>;
  body: Of<S['body']>;
  /** The caller; throws UNAUTHENTICATED on a public route called without credentials. */
  readonly who: Principal;
  req: FastifyRequest;
  reply: FastifyReply;
  ctx: ServerContext;
  /** Adds details (and the namespace, when the URL has none) to this request's audit entry. */
  audit(details: Record<string, unknown>, namespace?: string): void;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * How the body is read: `json` (default), `text` (YAML, JSON or DSL kept as text, for resources)
 * or `raw` (text kept byte-exact, for HMAC-signed triggers).
 */
export type BodyKind = 'json' | 'text' | 'raw';

export interface RouteDef<S extends RouteSchemas = RouteSchemas> {
  method: Method;
  /** Fastify path syntax: `/api/v1/runs/:id`. */
  url: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  access: Access;
  /** Audit action recorded for this route (every non-GET route has one). */
  audit?: string;
  body?: BodyKind;
  /** Content types documented for a text body. */
  consumes?: string[];
  /** Content types documented for the response when not JSON. */
  produces?: string[];
  schema: S;
  handler(call: Call<S>): Promise<unknown>;
}

/** A route with its input types erased, as the table keeps it (Fastify validates the inputs). */
export type AnyRoute = RouteDef<RouteSchemas>;

/**
 * Puts a route into the table. Its handler is typed by its own schemas (`Static<S>`); the table
 * holds every route at one type, so the handler is wrapped: the request parts it receives are the
 * ones Fastify validated against these same schemas, which is what the one cast below relies on.
 */
export function route<S extends RouteSchemas>(def: RouteDef<S>): AnyRoute {
  return { ...def, handler: (call) => def.handler(call as Call<S>) };
}

export function whoOf(req: FastifyRequest): Principal {
  const p = req.principal;
  if (!p) throw apiError('UNAUTHENTICATED', 'sign in first: send Authorization: Bearer <token> or use the session cookie');
  return p;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    auditDetails?: Record<string, unknown>;
    auditNamespace?: string;
    /** Who to record when the request has no principal (a sign-in names its user). */
    auditActor?: string;
    /** The error this request answered with, for its audit entry (code and message, cut short). */
    auditError?: { code: string; message: string };
  }
  interface FastifyContextConfig {
    def?: AnyRoute;
  }
}
