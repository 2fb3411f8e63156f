// Delivers queued webhooks: signed (HMAC-SHA256 of the raw body), retried with exponential
// backoff when the receiver fails, every attempt recorded in the store.
import { createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { PoolLike, WebhookDelivery } from '@kontroler/store';
import { backoffDelay, claimDueWebhooks, recordWebhookAttempt } from '@kontroler/store';
import type { ControllerLog } from './log.js';

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

  constructor(private readonly o: WebhookSenderOptions) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.o.pollMs ?? 1000);
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
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
    try {
      status = await post(d.url, body, headers, timeoutMs, d.verifySSL);
      if (status < 200 || status >= 300) error = `receiver answered HTTP ${status}`;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    if (error === undefined && status !== undefined) {
      await recordWebhookAttempt(this.o.pool, d.id, { delivered: true, status });
      return;
    }
    const max = this.o.maxAttempts ?? 8;
    const delay = Math.min(this.o.maxDelayMs ?? 300_000, (this.o.baseDelayMs ?? 1000) * 2 ** (d.attempts - 1));
    const jittered = Math.round(delay * (0.8 + Math.random() * 0.4));
    const retryAt = d.attempts < max ? Date.now() + jittered : undefined;
    this.o.log.warn(`webhook ${d.id} to ${redactUrl(d.url)} failed (attempt ${d.attempts}/${max}): ${error}`);
    await recordWebhookAttempt(this.o.pool, d.id, {
      delivered: false,
      error: error ?? 'unknown error',
      ...(status !== undefined ? { status } : {}),
      ...(retryAt !== undefined ? { retryAt } : {}),
    });
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

function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number, verifySSL: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const fn = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = fn(
      u,
      { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, timeout: timeoutMs, ...(u.protocol === 'https:' ? { rejectUnauthorized: verifySSL } : {}) },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
