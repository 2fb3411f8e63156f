// Dynamic fan-out (map): a task with `withItems` or `withParam` runs as one instance per item.
// Pure: what the items are once the task may start, and what the mapped task's own state is from
// its instances' outcomes. The run index (run-index.ts) counts the instances' outcomes per mapped
// task; decide.ts expands and settles mapped tasks with these functions.
import { DATA_FLOW_LIMITS, type JsonValue, type ResolvedTask } from '@kontroler/core';
import type { TaskState } from './state.js';

export function isMapped(spec: ResolvedTask): boolean {
  return spec.withItems !== undefined || spec.withParam !== undefined;
}

export type Items = { readonly kind: 'items'; readonly items: readonly JsonValue[] } | { readonly kind: 'fail'; readonly reason: string };

/**
 * The items of mapped task `spec`: its `withItems`, or its `withParam` once substituted (`text`),
 * which must be a JSON array of at most DATA_FLOW_LIMITS.maxMapInstances items.
 */
export function itemsOf(spec: ResolvedTask, withParamText: string | undefined): Items {
  if (spec.withItems !== undefined) return { kind: 'items', items: spec.withItems };
  const text = withParamText ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { kind: 'fail', reason: `WithParamInvalid: withParam of task ${spec.name} is not JSON (${e instanceof Error ? e.message : String(e)}): ${preview(text)}` };
  }
  if (!Array.isArray(parsed)) {
    return { kind: 'fail', reason: `WithParamInvalid: withParam of task ${spec.name} must be a JSON array, got ${parsed === null ? 'null' : typeof parsed}: ${preview(text)}` };
  }
  if (parsed.length > DATA_FLOW_LIMITS.maxMapInstances) {
    return {
      kind: 'fail',
      reason: `TooManyItems: withParam of task ${spec.name} has ${parsed.length} items; the limit is ${DATA_FLOW_LIMITS.maxMapInstances} instances per mapped task (DATA_FLOW_LIMITS.maxMapInstances)`,
    };
  }
  return { kind: 'items', items: parsed as JsonValue[] };
}

function preview(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** How a mapped task's instances stand: how many in all, unfinished, failed, canceled. */
export interface InstanceCounts {
  readonly n: number;
  readonly unfinished: number;
  readonly failed: number;
  readonly canceled: number;
}

/**
 * The mapped task `t` as its instances make it: running while one is unfinished; then failed when
 * one failed, canceled when one was canceled, else succeeded (skipped instances do not fail it).
 * `t` itself when that is what it already is.
 */
export function settledMap(t: TaskState, c: InstanceCounts): TaskState {
  const status = c.unfinished > 0 ? 'running' : c.failed > 0 ? 'failed' : c.canceled > 0 ? 'canceled' : 'succeeded';
  const reason = status === 'failed' ? `${c.failed} of ${c.n} instances failed` : status === 'canceled' ? 'Canceled' : undefined;
  if (t.status === status && t.reason === reason) return t;
  return { name: t.name, status, attempts: t.attempts, instances: c.n, ...(reason !== undefined ? { reason } : {}) };
}

/**
 * A mapped task's output `name`: the JSON array of its instances' values in item order, null for
 * an instance without one (`values`: per instance, its outputs when it succeeded).
 */
export function reduceOutput(values: readonly (Readonly<Record<string, string>> | undefined)[], name: string): string {
  return JSON.stringify(values.map((o) => (o && Object.hasOwn(o, name) ? (o[name] ?? null) : null)));
}
