// Which network destinations an outgoing request made on a user's behalf (a DAG's webhook) may
// reach. By default only public unicast addresses: loopback, private, link-local, unspecified,
// multicast and other special-purpose ranges are refused, so an editor cannot make the controller
// probe its own host or network (SSRF). An operator opens exceptions with an allow-list.
import { BlockList, isIP } from 'node:net';
import { KontrolerError } from '@kontroler/core';

/** The special-purpose ranges refused by default (IANA IPv4/IPv6 special-purpose registries). */
export const REFUSED_RANGES: readonly string[] = [
  '0.0.0.0/8', // "this network"; 0.0.0.0 reaches the local host on Linux
  '10.0.0.0/8',
  '100.64.0.0/10', // carrier-grade NAT
  '127.0.0.0/8',
  '169.254.0.0/16', // link-local, cloud metadata (169.254.169.254)
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, broadcast
  '::/128',
  '::1/128',
  '::/96', // IPv4-compatible (deprecated): ::7f00:1 must not mean 127.0.0.1 anywhere
  // IPv4-mapped addresses (::ffff:a.b.c.d) need no rule: BlockList checks them as their IPv4 form.
  '64:ff9b::/96', // NAT64: may embed any IPv4 address
  '64:ff9b:1::/48',
  '100::/64',
  '2001::/23', // IETF protocol assignments (Teredo, ...)
  '2001:db8::/32',
  '2002::/16', // 6to4: may embed a private IPv4 address
  'fc00::/7', // unique local
  'fe80::/10', // link-local
  'fec0::/10', // site-local (deprecated)
  'ff00::/8', // multicast
];

/** The largest number of entries an allow-list may hold. */
export const MAX_ALLOW_ENTRIES = 1000;

interface HostEntry {
  readonly host: string;
  readonly port: number | undefined;
}

/** Parsed allow-list plus the default refusals; build it with `destinationPolicy`. */
export interface DestinationPolicy {
  /** The allow-list as given, for logs. */
  readonly allow: readonly string[];
  readonly refused: BlockList;
  /** CIDRs and bare addresses allowed on every port. */
  readonly allowedNets: BlockList;
  /** Addresses allowed on one port. */
  readonly allowedAddressPorts: readonly HostEntry[];
  /** Host names allowed (on one port or every port): their addresses are not checked. A leading "." (from `*.`) matches every name below. */
  readonly allowedHosts: readonly HostEntry[];
}

function family(ip: string): 'ipv4' | 'ipv6' {
  return isIP(ip) === 6 ? 'ipv6' : 'ipv4';
}

function unbracket(h: string): string {
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/** Lower case without a trailing dot, brackets removed: how host names are compared. */
export function normalizeHost(h: string): string {
  return unbracket(h.trim().toLowerCase()).replace(/\.$/, '');
}

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

function badEntry(setting: string, entry: string, why: string): KontrolerError {
  return new KontrolerError(
    'VALIDATION_FAILED',
    `${setting}: "${entry}" ${why}; entries are CIDRs (10.0.0.0/8, fd00::/8), addresses (127.0.0.1, [::1]) or host[:port] (127.0.0.1:9000, hooks.internal:8443, *.svc.cluster.local), separated by commas`,
    { details: [{ path: setting, message: `"${entry}" ${why}` }] },
  );
}

function parsePort(setting: string, entry: string, text: string): number {
  const n = Number(text);
  if (!/^\d{1,5}$/.test(text) || n < 1 || n > 65535) throw badEntry(setting, entry, `has a bad port "${text}" (1-65535)`);
  return n;
}

/**
 * Parses an allow-list (comma- or whitespace-separated) into a policy. Throws VALIDATION_FAILED
 * naming the first bad entry. `setting` names where the text came from, for that message.
 */
export function destinationPolicy(allowText = '', setting = 'KONTROLER_WEBHOOK_ALLOW'): DestinationPolicy {
  const refused = new BlockList();
  for (const r of REFUSED_RANGES) {
    const [net, bits] = r.split('/') as [string, string];
    refused.addSubnet(net, Number(bits), family(net));
  }
  const allowedNets = new BlockList();
  const allowedAddressPorts: HostEntry[] = [];
  const allowedHosts: HostEntry[] = [];
  const entries = allowText.split(/[\s,]+/).filter((e) => e !== '');
  if (entries.length > MAX_ALLOW_ENTRIES) {
    throw new KontrolerError('VALIDATION_FAILED', `${setting} has ${entries.length} entries; at most ${MAX_ALLOW_ENTRIES} are allowed (use CIDRs)`);
  }
  for (const entry of entries) {
    const slash = entry.indexOf('/');
    if (slash >= 0) {
      const net = unbracket(entry.slice(0, slash));
      const bitsText = entry.slice(slash + 1);
      const v = isIP(net);
      if (v === 0) throw badEntry(setting, entry, 'is not a CIDR (the part before "/" is not an IP address)');
      const bits = Number(bitsText);
      if (!/^\d{1,3}$/.test(bitsText) || bits > (v === 4 ? 32 : 128)) throw badEntry(setting, entry, `has a bad prefix length "${bitsText}"`);
      allowedNets.addSubnet(net, bits, family(net));
      continue;
    }
    if (isIP(unbracket(entry)) !== 0) {
      const ip = unbracket(entry);
      allowedNets.addAddress(ip, family(ip));
      continue;
    }
    // host:port or [v6]:port or a bare host name.
    const m = /^\[([^\]]+)\]:(.+)$/.exec(entry) ?? /^([^:]+):([^:]+)$/.exec(entry);
    const hostText = m ? m[1]! : entry;
    const port = m ? parsePort(setting, entry, m[2]!) : undefined;
    const host = normalizeHost(hostText);
    if (isIP(host) !== 0) {
      allowedAddressPorts.push({ host, port });
      continue;
    }
    // `*.svc.cluster.local`: every name below that domain (not the domain itself).
    const wildcard = host.startsWith('*.');
    if (!HOST_NAME.test(wildcard ? host.slice(2) : host)) throw badEntry(setting, entry, 'is not a CIDR, an IP address or a host name');
    allowedHosts.push({ host: wildcard ? host.slice(1) : host, port });
  }
  return { allow: entries, refused, allowedNets, allowedAddressPorts, allowedHosts };
}

function portMatches(e: HostEntry, port: number): boolean {
  return e.port === undefined || e.port === port;
}

/** Whether the allow-list names this host (so its addresses are not checked). */
export function hostAllowed(p: DestinationPolicy, hostname: string, port: number): boolean {
  const h = normalizeHost(hostname);
  return p.allowedHosts.some((e) => (e.host.startsWith('.') ? h.endsWith(e.host) && h.length > e.host.length : e.host === h) && portMatches(e, port));
}

/** Whether a connection to `address` (an IP) on `port` is allowed. */
export function addressAllowed(p: DestinationPolicy, address: string, port: number): boolean {
  const ip = unbracket(address);
  const fam = family(ip);
  if (isIP(ip) === 0) return false;
  if (p.allowedNets.check(ip, fam)) return true;
  if (p.allowedAddressPorts.some((e) => portMatches(e, port) && sameAddress(e.host, ip))) return true;
  return !p.refused.check(ip, fam);
}

function sameAddress(a: string, b: string): boolean {
  const l = new BlockList();
  l.addAddress(a, family(a));
  return l.check(b, family(b));
}
