import type { Queryable } from './db.js';
import { ms } from './records.js';
import type { WebhookDeliveriesRow } from './rows.js';

export interface WebhookDelivery {
  id: number;
  runId: number;
  idempotencyKey: string;
  url: string;
  verifySSL: boolean;
  event: string;
  payload: Record<string, unknown>;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

function fromRow(r: WebhookDeliveriesRow): WebhookDelivery {
  return {
    id: r.id,
    runId: r.run_id,
    idempotencyKey: r.idempotency_key,
    url: r.url,
    verifySSL: r.verify_ssl,
    event: r.event,
    payload: r.payload,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: ms(r.next_attempt_at) ?? 0,
    lastStatus: r.last_status,
    lastError: r.last_error,
    createdAt: ms(r.created_at) ?? 0,
    deliveredAt: ms(r.delivered_at),
  };
}

/**
 * Takes up to `limit` due deliveries and hides them from other senders for `leaseMs` (by moving
 * `next_attempt_at`), so a crashed sender's deliveries come back by themselves. Deliveries of one run
 * go out in order: only a run's oldest pending delivery is ever due.
 */
export async function claimDueWebhooks(db: Queryable, limit: number, leaseMs: number): Promise<WebhookDelivery[]> {
  const { rows } = await db.query<WebhookDeliveriesRow>(
    `update webhook_deliveries set next_attempt_at = now() + ($2 || ' milliseconds')::interval, attempts = attempts + 1
     where id in (select id from webhook_deliveries w where status = 'pending' and next_attempt_at <= now()
                    and not exists (select 1 from webhook_deliveries p where p.run_id = w.run_id and p.status = 'pending' and p.id < w.id)
                  order by id for update skip locked limit $1)
     returning *`,
    [limit, String(leaseMs)],
  );
  return rows.map(fromRow).sort((a, b) => a.id - b.id);
}

/** Records the outcome of one delivery attempt: delivered, retry at `retryAt`, or failed for good. */
export async function recordWebhookAttempt(
  db: Queryable,
  id: number,
  outcome: { delivered: true; status: number } | { delivered: false; status?: number; error: string; retryAt?: number },
): Promise<void> {
  if (outcome.delivered) {
    await db.query(`update webhook_deliveries set status = 'delivered', delivered_at = now(), last_status = $2, last_error = null where id = $1`, [id, outcome.status]);
    return;
  }
  await db.query(
    `update webhook_deliveries set status = $2, next_attempt_at = coalesce($3, next_attempt_at), last_status = $4, last_error = $5 where id = $1`,
    [id, outcome.retryAt === undefined ? 'failed' : 'pending', outcome.retryAt === undefined ? null : new Date(outcome.retryAt), outcome.status ?? null, outcome.error.slice(0, 2000)],
  );
}

export async function listWebhookDeliveries(db: Queryable, runId: number): Promise<WebhookDelivery[]> {
  const { rows } = await db.query<WebhookDeliveriesRow>('select * from webhook_deliveries where run_id = $1 order by id', [runId]);
  return rows.map(fromRow);
}

/** When the next pending delivery is due (epoch ms), if any. */
export async function nextWebhookDue(db: Queryable): Promise<number | undefined> {
  const { rows } = await db.query<{ t: Date | null }>(`select min(next_attempt_at) as t from webhook_deliveries where status = 'pending'`);
  return ms(rows[0]?.t) ?? undefined;
}
