/** Stable error codes: branch on `code`, never on message text. The server maps codes to HTTP. */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'CONFLICT'
  | 'UNKNOWN_PARAMETER'
  | 'INVALID_STATE'
  | 'MANAGED_BY_FILE'
  | 'LEASE_LOST'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

/** One problem with an input, located by a field path such as `spec.task[2].runAfter[0]`. */
export interface FieldError {
  path: string;
  message: string;
  /** Where in the source file, when known (1-based). */
  line?: number;
  column?: number;
  /** Which document of a multi-document YAML stream (1-based), when parsed from text. */
  document?: number;
  /** The file or stream name given to the parser (e.g. a file path), when known. */
  source?: string;
}

export class KontrolerError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: readonly FieldError[];

  constructor(
    code: ErrorCode,
    message: string,
    opts: { cause?: unknown; retryable?: boolean; details?: readonly FieldError[] } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'KontrolerError';
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.details = opts.details ?? [];
  }
}

/** The message of a thrown value: an Error's `message`, anything else as text. Pure. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** True when `e` carries `code`; works across package copies (no instanceof). */
export function hasCode(e: unknown, code: ErrorCode): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}

/** One line per error, `path: message`; no source locations (see `formatFieldErrorsLocated`). */
export function formatFieldErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.path}: ${e.message}`).join('\n');
}

/**
 * One line per error in the compiler style `source:line:column: path: message`; the parts that
 * are unknown are left out (no source: `line:column: ...`; no line: `path: message`).
 */
export function formatFieldErrorsLocated(errors: readonly FieldError[]): string {
  return errors
    .map((e) => {
      const where: string[] = [];
      if (e.source !== undefined) where.push(e.source);
      if (e.line !== undefined) where.push(String(e.line), String(e.column ?? 1));
      return `${where.length > 0 ? `${where.join(':')}: ` : ''}${e.path}: ${e.message}`;
    })
    .join('\n');
}

/**
 * The error to throw (or return) when input failed validation: code `VALIDATION_FAILED`, not
 * retryable, every FieldError in `details`, and a message that names the first problems so a log
 * line is useful on its own. `what` names the input, e.g. `DAG "team-a/nightly"`.
 */
export function validationFailed(what: string, errors: readonly FieldError[]): KontrolerError {
  const shown = errors.slice(0, 3).map((e) => `${e.path}: ${e.message}`);
  const more = errors.length > 3 ? `; and ${errors.length - 3} more` : '';
  const message = `${what} is invalid (fix these and try again): ${shown.join('; ')}${more}`;
  return new KontrolerError('VALIDATION_FAILED', message, { details: errors });
}
