import type { DagDefinition } from '@kontroler/core';
import type { Command } from '@kontroler/engine';
import type { RunRecord, WebhookOutboxItem } from '@kontroler/store';

/** A command's webhook: its event, idempotency key and the payload fields of its own. */
interface Delivery {
  readonly event: string;
  readonly key: string;
  readonly fields: Record<string, unknown>;
}

/** The webhook a notify command makes (undefined: none). Events: task, run, approval:requested, approval:decided. */
function deliveryOf(run: RunRecord, c: Command, now: number): Delivery | undefined {
  switch (c.type) {
    case 'notify:task':
      return {
        event: 'task',
        key: `run-${run.id}/task-${c.task}/attempt-${c.attempt ?? 0}/${c.status}`,
        fields: {
          task: c.task,
          status: c.status,
          ...(c.attempt !== undefined ? { attempt: c.attempt } : {}),
          ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
          ...(c.reason !== undefined ? { reason: c.reason } : {}),
        },
      };
    case 'notify:run':
      return { event: 'run', key: `run-${run.id}/${c.status}/${now}`, fields: { status: c.status } };
    case 'approval:request':
      return {
        event: 'approval:requested',
        key: `run-${run.id}/task-${c.task}/attempt-${c.attempt}/approval:requested`,
        fields: { task: c.task, attempt: c.attempt, message: c.message, inputs: [...c.inputs], ...(c.timeoutAt !== undefined ? { timeoutAt: new Date(c.timeoutAt).toISOString() } : {}) },
      };
    case 'notify:approval':
      return {
        event: 'approval:decided',
        key: `run-${run.id}/task-${c.task}/attempt-${c.attempt}/approval:decided`,
        fields: { task: c.task, attempt: c.attempt, approve: c.approve, by: c.by, ...(c.comment !== undefined ? { comment: c.comment } : {}) },
      };
    default:
      return undefined;
  }
}

/**
 * Turns the engine's notify commands into webhook deliveries for the DAG's webhook (none when the
 * DAG has no webhook). Each gets an idempotency key that is stable across re-deliveries.
 */
export function webhookItems(run: RunRecord, def: DagDefinition, commands: readonly Command[], now: number): WebhookOutboxItem[] {
  const hook = def.webhook;
  if (!hook?.url) return [];
  const out: WebhookOutboxItem[] = [];
  for (const c of commands) {
    const d = deliveryOf(run, c, now);
    if (!d) continue;
    out.push({
      idempotencyKey: d.key,
      url: hook.url,
      verifySSL: hook.verifySSL,
      event: d.event,
      payload: {
        type: d.event,
        idempotencyKey: d.key,
        namespace: run.namespace,
        dag: run.dagName,
        dagVersion: run.dagVersion,
        runId: run.id,
        ...d.fields,
        timestamp: new Date(now).toISOString(),
      },
    });
  }
  return out;
}
