// The one error shape of the API, `{code, message, details}`, and the only place that maps error
// codes to HTTP statuses (documented in docs/api.md).
import type { ErrorCode, FieldError } from '@kontroler/core';
import { KontrolerError } from '@kontroler/core';

/** Codes the HTTP layer adds to core's: they describe the request, not the domain. */
export type HttpOnlyCode = 'PAYLOAD_TOO_LARGE' | 'UNSUPPORTED_MEDIA_TYPE' | 'RANGE_NOT_SATISFIABLE' | 'BAD_REQUEST';
export type ApiErrorCode = ErrorCode | HttpOnlyCode;

export const HTTP_STATUS: Readonly<Record<ApiErrorCode, number>> = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  UNKNOWN_PARAMETER: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  CONFLICT: 409,
  INVALID_STATE: 409,
  MANAGED_BY_FILE: 409,
  LEASE_LOST: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RANGE_NOT_SATISFIABLE: 416,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

export interface ApiErrorBody {
  code: ApiErrorCode;
  message: string;
  details: FieldError[];
}

/** An error raised by the HTTP layer itself, with an HTTP-only code. */
export class HttpError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details: FieldError[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function apiError(code: ApiErrorCode, message: string, details: FieldError[] = [], headers: Record<string, string> = {}): HttpError {
  return new HttpError(code, message, details, headers);
}

interface AjvLikeError {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

/** `/parameters/x` in the body → `body.parameters.x` (the documented field-path format). */
function fieldPath(part: string, instancePath: string, extra?: string): string {
  const steps = instancePath.split('/').filter((s) => s !== '').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) steps.push(extra);
  let out = part;
  for (const s of steps) out += /^\d+$/.test(s) ? `[${s}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
  return out;
}

function validationDetails(part: string, errors: readonly AjvLikeError[]): FieldError[] {
  return errors.map((e) => {
    const p = e.params ?? {};
    if (e.keyword === 'additionalProperties' && typeof p.additionalProperty === 'string') {
      return { path: fieldPath(part, e.instancePath ?? '', p.additionalProperty), message: 'unknown field' };
    }
    if (e.keyword === 'required' && typeof p.missingProperty === 'string') {
      return { path: fieldPath(part, e.instancePath ?? '', p.missingProperty), message: 'is required' };
    }
    return { path: fieldPath(part, e.instancePath ?? ''), message: e.message ?? 'is invalid' };
  });
}

const PG_CLIENT_ERRORS: Record<string, { code: ApiErrorCode; message: string }> = {
  '23505': { code: 'ALREADY_EXISTS', message: 'it already exists' },
  '23503': { code: 'CONFLICT', message: 'it refers to something that does not exist (any more)' },
  '40001': { code: 'CONFLICT', message: 'a concurrent change got in the way: try again' },
  '40P01': { code: 'CONFLICT', message: 'a concurrent change got in the way: try again' },
};

/** Turns anything thrown by a handler, hook or Fastify itself into the API's error body. */
export function toApiError(err: unknown): { status: number; body: ApiErrorBody; headers: Record<string, string>; internal: boolean } {
  const make = (code: ApiErrorCode, message: string, details: FieldError[] = [], headers: Record<string, string> = {}) => ({
    status: HTTP_STATUS[code],
    body: { code, message, details },
    headers,
    internal: code === 'INTERNAL',
  });
  if (err instanceof HttpError) return make(err.code, err.message, err.details, err.headers);
  if (err instanceof KontrolerError) {
    const code = err.code in HTTP_STATUS ? err.code : 'INTERNAL';
    return make(code, code === 'INTERNAL' ? 'internal error' : err.message, [...err.details]);
  }
  const e = (err ?? {}) as { code?: unknown; statusCode?: unknown; message?: unknown; validation?: unknown; validationContext?: unknown };
  const message = typeof e.message === 'string' ? e.message : 'request failed';
  if (Array.isArray(e.validation)) {
    const part = typeof e.validationContext === 'string' ? (e.validationContext === 'querystring' ? 'query' : e.validationContext) : 'body';
    const details = validationDetails(part, e.validation as AjvLikeError[]);
    const summary = details.map((d) => `${d.path}: ${d.message}`).join('; ');
    return make('VALIDATION_FAILED', `invalid request: ${summary}`, details);
  }
  const fcode = typeof e.code === 'string' ? e.code : '';
  if (fcode === 'FST_ERR_CTP_BODY_TOO_LARGE') return make('PAYLOAD_TOO_LARGE', 'request body too large');
  if (fcode === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return make('UNSUPPORTED_MEDIA_TYPE', `${message}: send application/json (or YAML / the DSL where a route says so)`);
  }
  if (fcode === 'FST_ERR_CTP_INVALID_JSON_BODY' || fcode === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err instanceof SyntaxError) {
    return make('BAD_REQUEST', `malformed JSON body: ${message}`);
  }
  if (/^[0-9A-Z]{5}$/.test(fcode)) {
    const known = PG_CLIENT_ERRORS[fcode];
    if (known) return make(known.code, known.message);
    // Class 22 (data exception) and 54 (limits) are caused by the input: a NUL byte, a number out of range.
    // The driver's text is not passed on (it can quote internals); the SQLSTATE class is enough.
    if (fcode.startsWith('22') || fcode.startsWith('54')) {
      return make('VALIDATION_FAILED', 'the database rejected a value of the request (e.g. a NUL byte, text that is not UTF-8, or a number out of range): check the values you sent');
    }
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 401) return make('UNAUTHENTICATED', message);
  if (status === 403) return make('FORBIDDEN', message);
  if (status === 404) return make('NOT_FOUND', message);
  if (status === 413) return make('PAYLOAD_TOO_LARGE', message);
  if (status === 415) return make('UNSUPPORTED_MEDIA_TYPE', message);
  if (status === 429) return make('RATE_LIMITED', message);
  if (status >= 400 && status < 500) return make('BAD_REQUEST', message);
  if (status === 503) return make('UNAVAILABLE', message);
  return make('INTERNAL', 'internal error');
}
