import type { DagDefinition } from '@kontroler/core';
import type { Command } from '@kontroler/engine';
import type { RunRecord, WebhookOutboxItem } from '@kontroler/store';

/**
 * Turns the engine's notify commands into webhook deliveries for the DAG's webhook (none when the
 * DAG has no webhook). Each gets an idempotency key that is stable across re-deliveries.
 */
export function webhookItems(run: RunRecord, def: DagDefinition, commands: readonly Command[], now: number): WebhookOutboxItem[] {
  const hook = def.webhook;
  if (!hook?.url) return [];
  const out: WebhookOutboxItem[] = [];
  for (const c of commands) {
    if (c.type === 'notify:task') {
      const key = `run-${run.id}/task-${c.task}/attempt-${c.attempt ?? 0}/${c.status}`;
      out.push({
        idempotencyKey: key,
        url: hook.url,
        verifySSL: hook.verifySSL,
        event: 'task',
        payload: {
          type: 'task',
          idempotencyKey: key,
          namespace: run.namespace,
          dag: run.dagName,
          dagVersion: run.dagVersion,
          runId: run.id,
          task: c.task,
          status: c.status,
          ...(c.attempt !== undefined ? { attempt: c.attempt } : {}),
          ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
          ...(c.reason !== undefined ? { reason: c.reason } : {}),
          timestamp: new Date(now).toISOString(),
        },
      });
    } else if (c.type === 'approval:request' || c.type === 'notify:approval') {
      // approval:requested (a task waits for a person) and approval:decided (who, approve or reject).
      const event = c.type === 'approval:request' ? 'approval:requested' : 'approval:decided';
      const key = `run-${run.id}/task-${c.task}/attempt-${c.attempt}/${event}`;
      out.push({
        idempotencyKey: key,
        url: hook.url,
        verifySSL: hook.verifySSL,
        event,
        payload: {
          type: event,
          idempotencyKey: key,
          namespace: run.namespace,
          dag: run.dagName,
          dagVersion: run.dagVersion,
          runId: run.id,
          task: c.task,
          attempt: c.attempt,
          ...(c.type === 'approval:request'
            ? { message: c.message, inputs: [...c.inputs], ...(c.timeoutAt !== undefined ? { timeoutAt: new Date(c.timeoutAt).toISOString() } : {}) }
            : { approve: c.approve, by: c.by, ...(c.comment !== undefined ? { comment: c.comment } : {}) }),
          timestamp: new Date(now).toISOString(),
        },
      });
    } else if (c.type === 'notify:run') {
      const key = `run-${run.id}/${c.status}/${now}`;
      out.push({
        idempotencyKey: key,
        url: hook.url,
        verifySSL: hook.verifySSL,
        event: 'run',
        payload: {
          type: 'run',
          idempotencyKey: key,
          namespace: run.namespace,
          dag: run.dagName,
          dagVersion: run.dagVersion,
          runId: run.id,
          status: c.status,
          timestamp: new Date(now).toISOString(),
        },
      });
    }
  }
  return out;
}
