// An undici Agent whose every connection is checked against a DestinationPolicy at connect time:
// IP literals before connecting, host names after DNS resolution, through the socket's own
// `lookup`, so the checked addresses are the ones connected to (a DNS answer that changes between
// a check and the connection - rebinding - cannot reach a refused address). Because the check is
// at connect time, a redirect (if a caller follows one) is checked like the first request.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { KontrolerError } from '@kontroler/core';
import { Agent, buildConnector } from 'undici';
import { addressAllowed, hostAllowed, type DestinationPolicy } from './destination-policy.js';

/** The message of every refusal: says what is refused, never what was found at the address. */
export const DESTINATION_REFUSED =
  'destination not allowed: loopback, private, link-local and unspecified addresses are refused (an operator can allow some with KONTROLER_WEBHOOK_ALLOW)';

/** Marks errors raised by the policy, so callers can tell them from network failures. */
export const REFUSED_MARK = Symbol.for('kontroler.destinationRefused');

export function destinationRefused(detail: string): KontrolerError {
  const e = new KontrolerError('FORBIDDEN', DESTINATION_REFUSED, { cause: new Error(detail) });
  (e as unknown as Record<symbol, boolean>)[REFUSED_MARK] = true;
  return e;
}

/** Whether `e` (or one of its causes) is a refusal by the destination policy. */
export function isDestinationRefused(e: unknown): boolean {
  for (let cur = e, depth = 0; cur !== null && typeof cur === 'object' && depth < 5; depth++) {
    if ((cur as Record<symbol, unknown>)[REFUSED_MARK] === true) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/** DNS resolution as `dns.lookup(host, { all: true })` does it; replaceable in tests. */
export type ResolveAll = (hostname: string, family: number) => Promise<LookupAddress[]>;

const systemResolve: ResolveAll = (hostname, family) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, family }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

export interface GuardedAgentOptions {
  /** Verify the receiver's TLS certificate (default true). */
  rejectUnauthorized?: boolean;
  /** Connect timeout in ms (default 10 s). */
  connectTimeoutMs?: number;
  resolve?: ResolveAll;
}

/** A `lookup` for net/tls.connect that resolves, refuses when any address is refused, and answers the checked addresses. */
function checkedLookup(policy: DestinationPolicy, port: number, resolve: ResolveAll): LookupFunction {
  return (hostname, options, callback) => {
    const family = typeof options.family === 'number' ? options.family : 0;
    resolve(hostname, family).then(
      (addresses) => {
        const bad = addresses.find((a) => !addressAllowed(policy, a.address, port));
        if (addresses.length === 0 || bad) {
          callback(destinationRefused(`${hostname} resolves to ${bad?.address ?? 'no address'}`) as unknown as NodeJS.ErrnoException, '', 0);
          return;
        }
        if (options.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}

/** The connector behind `guardedAgent`, exported for tests. */
export function guardedConnector(policy: DestinationPolicy, o: GuardedAgentOptions = {}): buildConnector.connector {
  const resolve = o.resolve ?? systemResolve;
  const tls = { rejectUnauthorized: o.rejectUnauthorized ?? true, timeout: o.connectTimeoutMs ?? 10_000 };
  const plain = buildConnector(tls);
  return (opts, callback) => {
    const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
    const host = opts.hostname;
    if (isIP(host) !== 0) {
      if (!addressAllowed(policy, host, port)) {
        queueMicrotask(() => callback(destinationRefused(`${host} is a refused address`), null));
        return;
      }
      plain(opts, callback);
      return;
    }
    if (hostAllowed(policy, host, port)) {
      plain(opts, callback);
      return;
    }
    buildConnector({ ...tls, lookup: checkedLookup(policy, port, resolve) })(opts, callback);
  };
}

/** An Agent that refuses destinations the policy refuses (see the file comment). */
export function guardedAgent(policy: DestinationPolicy, o: GuardedAgentOptions = {}): Agent {
  return new Agent({ connect: guardedConnector(policy, o) });
}
