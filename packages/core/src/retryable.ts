// The one place that decides, from the data an error carries, whether trying again can help, and
// how long to wait before the next try (STYLE.md point 9). Callers choose which kinds they retry:
// a transaction repeats only conflicts; a save that failed retries every transient kind.

/**
 * Why an error is transient:
 * - `conflict`: the database aborted the transaction to keep it consistent (SQLSTATE 40001
 *   serialization failure, 40P01 deadlock) or the Kubernetes API reported a write conflict (409);
 *   repeating the whole unit of work succeeds.
 * - `connection`: the connection broke or could not be made (SQLSTATE class 08, the server
 *   shutting down 57P01/57P02/57P03, socket errors); the connection itself is unusable.
 * - `throttled`: the other side asks to slow down (HTTP 429, SQLSTATE 53300 too many connections).
 * - `unavailable`: the other side failed for now (HTTP 5xx, a KontrolerError marked retryable).
 */
export type RetryKind = 'conflict' | 'connection' | 'throttled' | 'unavailable';

const SQLSTATE_CONFLICT = new Set(['40001', '40P01']);
const SQLSTATE_CONNECTION = new Set(['57P01', '57P02', '57P03']);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// node-postgres reports a broken connection with plain Errors that carry no code.
const PG_CONNECTION_MESSAGES = ['Connection terminated', 'connection error and is not queryable', 'Client was closed and is not queryable'];

function field(e: object, name: string): unknown {
  return (e as Record<string, unknown>)[name];
}

/**
 * The kind of transient failure `err` is, or undefined when trying again would fail the same way
 * (a constraint violation, a bad request, a bug). Looks at `code` (SQLSTATE or errno), an HTTP
 * `statusCode`/`status`, a KontrolerError's `retryable` flag, and then the error's `cause`.
 * Pure; never throws.
 */
export function retryKind(err: unknown, depth = 0): RetryKind | undefined {
  if (typeof err !== 'object' || err === null || depth > 4) return undefined;
  const code = field(err, 'code');
  if (typeof code === 'string') {
    if (SQLSTATE_CONFLICT.has(code)) return 'conflict';
    if (code.length === 5 && code.startsWith('08')) return 'connection';
    if (SQLSTATE_CONNECTION.has(code) || SOCKET_CODES.has(code)) return 'connection';
    if (code === '53300') return 'throttled';
  }
  const status = field(err, 'statusCode') ?? field(err, 'status');
  if (typeof status === 'number') {
    if (status === 409) return 'conflict';
    if (status === 429) return 'throttled';
    if (status >= 500 && status <= 599) return 'unavailable';
  }
  const message = field(err, 'message');
  if (typeof message === 'string' && PG_CONNECTION_MESSAGES.some((m) => message.includes(m))) return 'connection';
  if (field(err, 'name') === 'KontrolerError' && field(err, 'retryable') === true) return 'unavailable';
  return retryKind(field(err, 'cause'), depth + 1);
}

/** True when `err` is transient of any kind (see `retryKind`). */
export function isRetryable(err: unknown): boolean {
  return retryKind(err) !== undefined;
}

/** True when `err` means the connection it happened on is broken and must not be reused. */
export function isConnectionError(err: unknown): boolean {
  return retryKind(err) === 'connection';
}

export interface BackoffPolicy {
  /** Delay before the first retry, in ms. */
  readonly baseMs: number;
  /** No delay is longer than this, in ms. */
  readonly maxMs: number;
}

/**
 * Delay before retry number `retry` (1 = the first): exponential from `baseMs`, capped at
 * `maxMs`, with "equal jitter" (between half and all of it) so that many waiters do not retry in
 * step. `random` returns a number in [0, 1) (Math.random at the edges, fixed in tests).
 */
export function backoffMs(retry: number, policy: BackoffPolicy, random: () => number): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, Math.min(retry - 1, 30)));
  return Math.round(exp / 2 + (exp / 2) * random());
}
