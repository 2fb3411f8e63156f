// Test harness: a real server on 127.0.0.1:0 over a fresh migrated database, users with roles,
// and a small fetch helper. Sessions for matrix tests are made directly (no argon2 per request).
import type { RoleBinding } from '@kontroler/store';
import type { TestDatabase } from '@kontroler/store/testing';
import { createRun, createSession, createUser, saveDag } from '@kontroler/store';
import { createTestDatabase } from '@kontroler/store/testing';
import { bootstrapAdmin, createServer, type KontrolerServer, type ServerConfig } from '@kontroler/server';
import { randomBytes } from 'node:crypto';
import { dagDefinition, resolvedTask } from '@kontroler/testing';

export const ADMIN_PASSWORD = 'admin-password-for-tests';

export interface Harness {
  db: TestDatabase;
  server: KontrolerServer;
  url: string;
  close(): Promise<void>;
}

export async function startHarness(config: Partial<ServerConfig> = {}): Promise<Harness> {
  const db = await createTestDatabase();
  await bootstrapAdmin(db.pool, { password: ADMIN_PASSWORD });
  const server = await createServer({ pool: db.pool, databaseUrl: db.url, config: { jwtSecret: 'test-secret', ...config } });
  const url = await server.listen(0, '127.0.0.1');
  return {
    db,
    server,
    url,
    async close() {
      await server.close();
      await db.drop();
    },
  };
}

export interface Res<T = Record<string, unknown>> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

/** `text` as JSON, or undefined when it is empty or not JSON. */
function jsonOrUndefined(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** One request; JSON in and out unless `raw`/`contentType` say otherwise. */
export async function call<T = Record<string, unknown>>(
  url: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; raw?: string; contentType?: string; headers?: Record<string, string> } = {},
): Promise<Res<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.raw !== undefined) {
    body = opts.raw;
    headers['content-type'] = opts.contentType ?? 'application/yaml';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, body: jsonOrUndefined(text) as T, text, headers: res.headers };
}

/**
 * Like `call`, for a route that may answer with a live stream that never ends (Server-Sent
 * Events): a 2xx stream is closed once its headers are in (body ''); any other answer is read whole.
 */
export async function callMaybeStream<T = Record<string, unknown>>(url: string, method: string, path: string, opts: { token?: string; headers?: Record<string, string> } = {}): Promise<Res<T>> {
  const headers: Record<string, string> = { accept: 'text/event-stream', ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const abort = new AbortController();
  const res = await fetch(`${url}${path}`, { method, headers, signal: abort.signal });
  if (res.ok && (res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    abort.abort();
    return { status: res.status, body: undefined as T, text: '', headers: res.headers };
  }
  const text = await res.text();
  return { status: res.status, body: jsonOrUndefined(text) as T, text, headers: res.headers };
}

/** Whether a route answers only with a live stream (GET /events, /runs/{id}/events). */
export function isStreamRoute(r: { produces?: readonly string[] }): boolean {
  return (r.produces ?? []).length > 0 && (r.produces ?? []).every((p) => p === 'text/event-stream');
}

export async function login(url: string, username: string, password: string): Promise<string> {
  const r = await call<{ token: string }>(url, 'POST', '/api/v1/auth/login', { body: { username, password } });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`);
  return r.body.token;
}

/** A user with these bindings and a live session JWT for it (made directly: fast). */
export async function userWithSession(h: Harness, username: string, roles: RoleBinding[]): Promise<{ userId: number; token: string; sessionId: string }> {
  const user = await createUser(h.db.pool, { username, passwordHash: 'not-a-real-hash', roles });
  const s = await sessionFor(h, user.id, username);
  return { userId: user.id, ...s };
}

export async function sessionFor(h: Harness, userId: number, username: string, ttlMs = 3_600_000): Promise<{ token: string; sessionId: string }> {
  const sessionId = randomBytes(12).toString('base64url');
  const expiresAt = Date.now() + ttlMs;
  await createSession(h.db.pool, { id: sessionId, userId, expiresAt });
  const token = await h.server.context.keys.sign({ sessionId, userId, username, expiresAt });
  return { token, sessionId };
}


let hashes = 0;
/** Stores a DAG version and a pending run of it directly (no controller). */
export async function seedRun(h: Harness, namespace: string, dag: string, tasks = [resolvedTask('a'), resolvedTask('b', ['a'])]): Promise<number> {
  const def = dagDefinition(namespace, dag, tasks);
  const saved = await saveDag(h.db.pool, { namespace, name: dag, spec: {}, definition: def, hash: `seed-${hashes++}`, source: 'test' });
  const { run } = await createRun(h.db.pool, { dagId: saved.dag.id, dagVersion: saved.version, namespace, dagName: dag, trigger: 'manual', parameters: {} });
  return run.id;
}

export const DAG_YAML = (name: string, extra = '') => `apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata:
  name: ${name}
spec:
  parameters:
    - name: GREETING
      defaultValue: hello
  task:
    - name: first
      image: alpine:3.20
      command: ["sh", "-c"]
      args: ["echo $GREETING"]
      parameters: ["GREETING"]
    - name: second
      image: alpine:3.20
      command: ["true"]
      runAfter: ["first"]
${extra}`;
