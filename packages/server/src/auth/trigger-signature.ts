// Signatures of inbound trigger deliveries. The signed string binds the body to a timestamp and a
// delivery id, so a captured delivery can be replayed neither later (the timestamp leaves the
// window) nor within the window (its delivery id was seen). Scheme, as Stripe and Slack sign:
//
//   X-Kontroler-Timestamp: <Unix time in seconds>
//   X-Kontroler-Delivery:  <delivery id, 1-200 of A-Z a-z 0-9 . _ : ->
//   X-Kontroler-Signature: v1=<hex HMAC-SHA256(secret, "v1:" + timestamp + ":" + delivery + ":" + body)>
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'x-kontroler-timestamp';
export const DELIVERY_HEADER = 'x-kontroler-delivery';
export const SIGNATURE_HEADER = 'x-kontroler-signature';

/** How far a delivery's timestamp may be from the server's clock, either way (default of the setting). */
export const DEFAULT_TRIGGER_WINDOW_SECONDS = 300;

const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,200}$/;
const TIMESTAMP = /^\d{1,12}$/;

/** The exact string that is signed. */
export function triggerSignedString(timestamp: string | number, deliveryId: string, body: string | Buffer): string {
  return `v1:${timestamp}:${deliveryId}:${typeof body === 'string' ? body : body.toString('utf8')}`;
}

/** The `X-Kontroler-Signature` value for a delivery: `v1=<hex>`. */
export function signTrigger(secret: string, timestamp: string | number, deliveryId: string, body: string | Buffer): string {
  return `v1=${createHmac('sha256', secret).update(triggerSignedString(timestamp, deliveryId, body)).digest('hex')}`;
}

/** The three headers a sender sets, for `body` signed now (or at `nowSeconds`). */
export function signedTriggerHeaders(secret: string, deliveryId: string, body: string, nowSeconds = Math.floor(Date.now() / 1000)): Record<string, string> {
  return { [TIMESTAMP_HEADER]: String(nowSeconds), [DELIVERY_HEADER]: deliveryId, [SIGNATURE_HEADER]: signTrigger(secret, nowSeconds, deliveryId, body) };
}

export type TriggerCheck =
  | { ok: true; deliveryId: string }
  | { ok: false; why: 'unsigned' | 'stale'; message: string };

/** How to sign, for error messages. */
export const SIGNING_HINT =
  'send X-Kontroler-Timestamp (Unix seconds), X-Kontroler-Delivery (a unique id) and X-Kontroler-Signature: v1=<hex HMAC-SHA256(secret, "v1:<timestamp>:<delivery>:<body>")>';

/**
 * Checks a delivery's headers against the secret: signature first (nothing is said about a
 * request that is not signed with the secret), then the timestamp window.
 */
export function checkTriggerDelivery(
  secret: string | undefined,
  h: { timestamp?: string | undefined; delivery?: string | undefined; signature?: string | undefined },
  body: string,
  nowSeconds: number,
  windowSeconds: number,
): TriggerCheck {
  const unsigned = { ok: false, why: 'unsigned', message: `missing or wrong signature (or no enabled trigger for this DAG): ${SIGNING_HINT}` } as const;
  const ts = h.timestamp?.trim() ?? '';
  const id = h.delivery?.trim() ?? '';
  if (secret === undefined || !TIMESTAMP.test(ts) || !DELIVERY_ID.test(id) || !h.signature) return unsigned;
  const want = Buffer.from(signTrigger(secret, ts, id, body));
  const got = Buffer.from(h.signature.trim());
  if (want.length !== got.length || !timingSafeEqual(want, got)) return unsigned;
  const skew = Math.abs(nowSeconds - Number(ts));
  if (skew > windowSeconds) {
    return { ok: false, why: 'stale', message: `the delivery's timestamp is ${skew} s from the server's clock; at most ${windowSeconds} s is accepted: sign it again with the current time` };
  }
  return { ok: true, deliveryId: id };
}
