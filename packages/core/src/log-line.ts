// The lines every Kontroler component logs: text for a terminal (the default), or one JSON object
// a line for log collectors (KONTROLER_LOG_FORMAT=json). Pure: the writer and the clock are inputs.
import { messageOf } from './errors.js';

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export type LogLevel = 'info' | 'warn' | 'error';

/** What a line is about, when it is about a run, a task or an attempt of one. */
export interface LogFields {
  readonly runId?: number;
  readonly task?: string;
  readonly attempt?: number;
  /** The W3C trace id of the run's trace; only when a trace context exists. */
  readonly traceId?: string;
}

/**
 * Where a component reports what it does. The shape of the controller's, server's and Kubernetes
 * front end's logs. Messages and errors never carry secrets: callers leave them out (and a
 * connection string's password is masked here as a last guard).
 */
export interface Log {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, err?: unknown, fields?: LogFields): void;
}

/** Where the lines go: info to `out` (stdout), warnings and errors to `err` (stderr). */
export interface LogSink {
  out(line: string): void;
  err(line: string): void;
}

export interface LogOptions {
  /** Names the part that logs: the text prefix (`[controller]`) and the JSON `component`. */
  readonly component: string;
  readonly format: LogFormat;
  readonly sink: LogSink;
  /** Text format: an error's stack instead of its message (the server's internal errors). */
  readonly stacks?: boolean;
  readonly now?: () => Date;
}

/**
 * Reads a log format setting: text (also when unset or empty) or json. Throws an Error naming
 * `setting` and the allowed values for anything else.
 */
export function parseLogFormat(value: string | undefined, setting: string): LogFormat {
  const v = value?.trim() ?? '';
  if (v === '') return 'text';
  if ((LOG_FORMATS as readonly string[]).includes(v)) return v as LogFormat;
  throw new Error(`${setting} must be ${LOG_FORMATS.join(' or ')}, got "${value}"`);
}

// The house form of a message about a run: `run 12: ...`, or `run 12: task#3 ...` about an attempt.
const RUN_PREFIX = /^run (\d{1,15}): (?:([A-Za-z0-9_][A-Za-z0-9_.\-[\]]*)#(\d{1,9})\b)?/;

/** The run, task and attempt a message in the house form names (`run 12: build#2 could not start`). */
export function runContextOf(msg: string): LogFields {
  const m = RUN_PREFIX.exec(msg);
  if (!m) return {};
  return { runId: Number(m[1]), ...(m[2] !== undefined && m[3] !== undefined ? { task: m[2], attempt: Number(m[3]) } : {}) };
}

// user:password@ in a URL (a connection string in an error message): the password is masked.
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]*@/gi;

/** `text` with the password of every URL in it replaced by `***`. */
export function maskUrlPasswords(text: string): string {
  return text.replace(URL_PASSWORD, '$1***@');
}

/** An error as the JSON `error` field: its stable code (when it has one) and its message. */
export function errorField(e: unknown, stacks = false): { code?: string; message: string; stack?: string } {
  const code = (e as { code?: unknown } | null)?.code;
  const stack = stacks && e instanceof Error && e.stack ? { stack: maskUrlPasswords(e.stack) } : {};
  return { ...(typeof code === 'string' && code !== '' ? { code } : {}), message: maskUrlPasswords(messageOf(e)), ...stack };
}

export interface LogRecord {
  readonly time: Date;
  readonly level: LogLevel;
  readonly component: string;
  readonly msg: string;
  readonly fields?: LogFields;
  readonly err?: unknown;
  readonly stacks?: boolean;
}

/** One JSON object, no newline: time (RFC 3339, ms, UTC), level, component, msg, then the fields. */
export function jsonLogLine(r: LogRecord): string {
  const f = { ...runContextOf(r.msg), ...r.fields };
  return JSON.stringify({
    time: r.time.toISOString(),
    level: r.level,
    component: r.component,
    msg: maskUrlPasswords(r.msg),
    ...(f.runId !== undefined ? { runId: f.runId } : {}),
    ...(f.task !== undefined ? { task: f.task } : {}),
    ...(f.attempt !== undefined ? { attempt: f.attempt } : {}),
    ...(f.traceId !== undefined ? { traceId: f.traceId } : {}),
    ...(r.err !== undefined && r.err !== null ? { error: errorField(r.err, r.stacks) } : {}),
  });
}

/** The text line: `[component] msg` and, after an error, `: its message` (or its stack). */
export function textLogLine(r: LogRecord): string {
  const err = r.err === undefined || r.err === null || r.err === '' ? '' : `: ${r.stacks && r.err instanceof Error ? (r.err.stack ?? r.err.message) : messageOf(r.err)}`;
  return maskUrlPasswords(`[${r.component}] ${r.msg}${err}`);
}

/** A Log writing `o.format` lines to `o.sink`. */
export function createLog(o: LogOptions): Log {
  const line = o.format === 'json' ? jsonLogLine : textLogLine;
  const now = o.now ?? (() => new Date());
  const write = (level: LogLevel, msg: string, fields: LogFields | undefined, err?: unknown) => {
    const text = line({ time: now(), level, component: o.component, msg, ...(fields ? { fields } : {}), ...(err !== undefined ? { err } : {}), ...(o.stacks ? { stacks: true } : {}) });
    if (level === 'info') o.sink.out(text);
    else o.sink.err(text);
  };
  return {
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, err, fields) => write('error', msg, fields, err),
  };
}
