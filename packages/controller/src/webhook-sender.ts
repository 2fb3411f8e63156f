// Delivers queued webhooks: signed (HMAC-SHA256 of the raw body), retried with exponential
// backoff when the receiver fails, every attempt recorded in the store. Destinations are checked
// by a DestinationPolicy at connect time (no loopback, private, link-local or unspecified
// addresses unless allowed); redirects are not followed. What the store records (and the API
// shows editors) is a generic reason, never the raw connection error: that would make the
// controller a port scanner for whoever can edit a DAG. The raw error goes to the operator's log.
import { createHmac } from 'node:crypto';
import type { PoolLike, WebhookDelivery } from '@kontroler/store';
import { backoffDelay, claimDueWebhooks, recordWebhookAttempt } from '@kontroler/store';
import { request, type Agent } from 'undici';
import type { ControllerLog } from './log.js';
import type { ControllerMetrics } from './metrics.js';
import { destinationPolicy, type DestinationPolicy } from './outbound/destination-policy.js';
import { DESTINATION_REFUSED, guardedAgent, isDestinationRefused } from './outbound/guarded-agent.js';

/** Recorded for every failure to connect or to get an answer (the cause goes to the log only). */
export const UNREACHABLE = 'could not deliver: the receiver could not be reached or did not answer in time';

/** Most bytes of a receiver's answer read (the rest is discarded). */
export const MAX_RESPONSE_BYTES = 64 * 1024;

export interface WebhookSenderOptions {
  readonly pool: PoolLike;
  /** HMAC key for `X-Kontroler-Signature`; without one, deliveries are sent unsigned. */
  readonly secret?: string;
  readonly log: ControllerLog;
  readonly timeoutMs?: number;
  /** Attempts before a delivery is marked failed for good (default 8). */
  readonly maxAttempts?: number;
  /** First retry delay (default 1 s), doubled each time, capped at `maxDelayMs` (default 5 min). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly pollMs?: number;
  /**
   * Which destinations may be reached (default: public addresses only). Build it from
   * KONTROLER_WEBHOOK_ALLOW with `destinationPolicy(text)`.
   */
  readonly policy?: DestinationPolicy;
  /** Counts delivery tries by outcome. */
  readonly metrics?: ControllerMetrics;
}

/** `sha256=<hex>` over the exact body bytes, as GitHub-style receivers expect. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export class WebhookSender {
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** The delivery loop's failures in a row (the database is away): polls wait `backoffDelay` after one. */
  private loopFailures = 0;
  private notBefore = 0;
  private readonly agents: { verify: Agent; noVerify: Agent };

  constructor(private readonly o: WebhookSenderOptions) {
    const policy = o.policy ?? destinationPolicy();
    const connectTimeoutMs = o.timeoutMs ?? 10_000;
    this.agents = {
      verify: guardedAgent(policy, { rejectUnauthorized: true, connectTimeoutMs }),
      noVerify: guardedAgent(policy, { rejectUnauthorized: false, connectTimeoutMs }),
    };
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.o.pollMs ?? 1000);
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await Promise.all([this.agents.verify.close(), this.agents.noVerify.close()]);
  }

  /** Send what is due now (coalesces concurrent calls). */
  kick(): void {
    if (this.stopped || Date.now() < this.notBefore) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.sendDue()
      .then(() => void (this.loopFailures = 0))
      .catch((e: unknown) => {
        this.notBefore = Date.now() + backoffDelay(++this.loopFailures);
        this.o.log.error('webhook delivery loop failed', e);
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async sendDue(): Promise<void> {
    const timeout = this.o.timeoutMs ?? 10_000;
    for (;;) {
      const due = await claimDueWebhooks(this.o.pool, 50, timeout * 3);
      if (due.length === 0 || this.stopped) return;
      // Per run in order; runs in parallel.
      const byRun = new Map<number, WebhookDelivery[]>();
      for (const d of due) byRun.set(d.runId, [...(byRun.get(d.runId) ?? []), d]);
      await Promise.all(
        [...byRun.values()].map(async (list) => {
          for (const d of list) await this.deliver(d, timeout);
        }),
      );
    }
  }

  private async deliver(d: WebhookDelivery, timeoutMs: number): Promise<void> {
    const body = JSON.stringify(d.payload);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'kontroler-webhook/1',
      'x-kontroler-event': d.event,
      'x-kontroler-delivery': String(d.id),
      'x-kontroler-idempotency-key': d.idempotencyKey,
      'idempotency-key': d.idempotencyKey,
    };
    if (this.o.secret) headers['x-kontroler-signature'] = signBody(this.o.secret, body);
    let status: number | undefined;
    let error: string | undefined;
    let cause: string | undefined;
    let refused = false;
    try {
      status = await this.post(d.url, body, headers, timeoutMs, d.verifySSL);
      if (status < 200 || status >= 300) error = `receiver answered HTTP ${status}`;
    } catch (e) {
      refused = isDestinationRefused(e);
      error = refused ? DESTINATION_REFUSED : UNREACHABLE;
      cause = describe(e);
    }
    if (error === undefined && status !== undefined) {
      await recordWebhookAttempt(this.o.pool, d.id, { delivered: true, status });
      this.o.metrics?.webhookDeliveries.inc({ outcome: 'delivered' });
      return;
    }
    const max = this.o.maxAttempts ?? 8;
    const delay = Math.min(this.o.maxDelayMs ?? 300_000, (this.o.baseDelayMs ?? 1000) * 2 ** (d.attempts - 1));
    const jittered = Math.round(delay * (0.8 + Math.random() * 0.4));
    // A refused destination stays refused: failed for good, no retries.
    const retryAt = d.attempts < max && !refused ? Date.now() + jittered : undefined;
    this.o.log.warn(`webhook ${d.id} to ${redactUrl(d.url)} failed (attempt ${d.attempts}/${max}): ${error}${cause ? ` (${cause})` : ''}`);
    await recordWebhookAttempt(this.o.pool, d.id, {
      delivered: false,
      error: error ?? 'unknown error',
      ...(status !== undefined ? { status } : {}),
      ...(retryAt !== undefined ? { retryAt } : {}),
    });
    this.o.metrics?.webhookDeliveries.inc({ outcome: retryAt !== undefined ? 'retrying' : 'failed' });
  }

  /** POSTs once, never following a redirect (a 3xx is a failed delivery); resolves the status. */
  private async post(url: string, body: string, headers: Record<string, string>, timeoutMs: number, verifySSL: boolean): Promise<number> {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`unsupported scheme ${u.protocol}`);
    const auth: Record<string, string> = {};
    // Credentials in the URL (https://user:pass@host/) are sent as Basic auth, as node:http did.
    if (u.username || u.password) {
      auth.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
      u.username = '';
      u.password = '';
    }
    const res = await request(u, {
      method: 'POST',
      headers: { ...headers, ...auth, 'content-length': String(Buffer.byteLength(body)) },
      body,
      dispatcher: verifySSL ? this.agents.verify : this.agents.noVerify,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body.dump({ limit: MAX_RESPONSE_BYTES }).catch(() => undefined);
    return res.statusCode;
  }
}

function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    url.username = '';
    url.password = '';
    url.search = '';
    return url.toString();
  } catch {
    return '<invalid url>';
  }
}

function describe(e: unknown): string {
  const parts: string[] = [];
  for (let cur = e, depth = 0; cur instanceof Error && depth < 4; depth++, cur = cur.cause) parts.push(cur.message);
  return parts.join(': ') || String(e);
}
