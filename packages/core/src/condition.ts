// `when` conditions: CEL expressions (the language of Kubernetes validation rules, Tekton and
// Hatchet), evaluated by @marcbachmann/cel-js. Pure. Variables: `params.NAME` (strings) and, per
// upstream task, `tasks.NAME.status` (string), `tasks.NAME.exitCode` (int; absent when none),
// `tasks.NAME.outputs.OUT` (strings). A task whose name is not a CEL identifier is written
// `tasks["my-task"]`.
import { parse, type ParseError } from '@marcbachmann/cel-js';
import { DATA_FLOW_LIMITS } from './data-flow-limits.js';
import { setOwn } from './plain-data.js';

export interface ConditionTask {
  readonly status: string;
  readonly exitCode?: number;
  readonly outputs: Readonly<Record<string, string>>;
}

export interface ConditionContext {
  readonly params: Readonly<Record<string, string>>;
  readonly tasks: Readonly<Record<string, ConditionTask>>;
}

export type ConditionResult = { readonly ok: true; readonly value: boolean } | { readonly ok: false; readonly message: string };

type Compiled = ReturnType<typeof parse>;
const compiled = new Map<string, Compiled | string>();
const MAX_CACHED = 1000;

function compile(expr: string): Compiled | string {
  let c = compiled.get(expr);
  if (c !== undefined) return c;
  if (expr.length > DATA_FLOW_LIMITS.maxConditionChars) {
    c = `is ${expr.length} characters; the limit is ${DATA_FLOW_LIMITS.maxConditionChars}`;
  } else {
    try {
      c = parse(expr);
    } catch (err) {
      c = firstLine(err as ParseError);
    }
  }
  if (compiled.size >= MAX_CACHED) compiled.clear();
  compiled.set(expr, c);
  return c;
}

function firstLine(err: Error): string {
  return (err.message ?? String(err)).split('\n')[0] ?? 'invalid expression';
}

/** Undefined when `expr` parses as CEL, else the parse error (for validation). */
export function checkCondition(expr: string): string | undefined {
  const c = compile(expr);
  return typeof c === 'string' ? c : undefined;
}

/** Evaluates `expr`; a non-boolean result or an evaluation error is `ok: false` with the message. */
export function evaluateCondition(expr: string, ctx: ConditionContext): ConditionResult {
  const c = compile(expr);
  if (typeof c === 'string') return { ok: false, message: c };
  const tasks: Record<string, { status: string; exitCode?: bigint; outputs: Readonly<Record<string, string>> }> = {};
  for (const [name, t] of Object.entries(ctx.tasks)) {
    setOwn(tasks, name, t.exitCode === undefined ? { status: t.status, outputs: t.outputs } : { status: t.status, exitCode: BigInt(t.exitCode), outputs: t.outputs });
  }
  try {
    const v: unknown = c({ params: ctx.params, tasks });
    if (typeof v !== 'boolean') return { ok: false, message: `the expression must give a bool, it gave ${typeof v === 'bigint' ? 'an int' : `a ${typeof v}`}` };
    return { ok: true, value: v };
  } catch (err) {
    return { ok: false, message: firstLine(err as Error) };
  }
}
