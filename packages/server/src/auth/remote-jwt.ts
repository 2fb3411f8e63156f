// Strict verification of JWTs signed by someone else (an OpenID provider, a cluster's service
// account issuer): keys from the issuer's JWKS (found through OIDC discovery), algorithms pinned,
// issuer, audience, expiry and not-before checked. Keys rotate without a restart: an unknown key
// id makes jose re-fetch the JWKS (at most once per cooldown), and the cache is refreshed at least
// every `maxAgeMs`, so a key the issuer stops publishing stops working within that time.
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload, type RemoteJWKSet } from 'jose';
import type { OutboundFetch } from './outbound-fetch.js';

/** Why a token was refused: `reason` goes to the server log, never to the client. */
export class JwtRejected extends Error {
  constructor(
    readonly reason: string,
    /** True when the issuer could not be reached (not the token's fault). */
    readonly unavailable = false,
  ) {
    super(reason);
    this.name = 'JwtRejected';
  }
}

export interface RemoteJwtOptions {
  issuer: string;
  audiences: readonly string[];
  algorithms: readonly string[];
  /** JWKS URL; default: `jwks_uri` of `<issuer>/.well-known/openid-configuration`. */
  jwksUri?: string;
  fetch: OutboundFetch;
  clockToleranceSeconds: number;
  cooldownMs: number;
  maxAgeMs: number;
  /** Claims that must be present (exp always is). */
  requiredClaims?: readonly string[];
}

/** What an OpenID provider's and a cluster issuer's settings share: whose keys, and how strictly. */
export interface JwtIssuerSettings {
  readonly issuer: string;
  readonly algorithms: readonly string[];
  readonly clockToleranceSeconds: number;
  readonly jwksCooldownMs: number;
  readonly jwksMaxAgeMs: number;
}

/** Options of a verifier of `s`'s tokens for `audiences`, its keys fetched through `fetch`; `sub` and `iat` required. */
export function issuerVerifierOptions(s: JwtIssuerSettings, audiences: readonly string[], fetch: OutboundFetch): RemoteJwtOptions {
  return {
    issuer: s.issuer,
    audiences,
    algorithms: s.algorithms,
    fetch,
    clockToleranceSeconds: s.clockToleranceSeconds,
    cooldownMs: s.jwksCooldownMs,
    maxAgeMs: s.jwksMaxAgeMs,
    requiredClaims: ['sub', 'iat'],
  };
}

export class RemoteJwtVerifier {
  private keys?: RemoteJWKSet;
  private pending?: Promise<RemoteJWKSet>;

  constructor(private readonly o: RemoteJwtOptions) {}

  get issuer(): string {
    return this.o.issuer;
  }

  /** The issuer's JWKS resolver (discovers its URL on first use; a failed discovery is retried next time). */
  private async jwks(): Promise<RemoteJWKSet> {
    if (this.keys) return this.keys;
    this.pending ??= (async () => {
      const uri = this.o.jwksUri ?? (await discoverJwksUri(this.o.issuer, this.o.fetch));
      const fetchImpl = this.o.fetch;
      this.keys = createRemoteJWKSet(new URL(uri), {
        cooldownDuration: this.o.cooldownMs,
        cacheMaxAge: this.o.maxAgeMs,
        timeoutDuration: 10_000,
        [customFetch]: (url, init) => fetchImpl(url, init),
      });
      return this.keys;
    })().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** The verified claims, or throws JwtRejected with the reason. */
  async verify(jwt: string): Promise<JWTPayload> {
    let keys: RemoteJWKSet;
    try {
      keys = await this.jwks();
    } catch (e) {
      throw new JwtRejected(`cannot load the signing keys of ${this.o.issuer}: ${(e as Error).message}`, true);
    }
    try {
      const { payload } = await jwtVerify(jwt, keys, {
        issuer: this.o.issuer,
        audience: [...this.o.audiences],
        algorithms: [...this.o.algorithms],
        clockTolerance: this.o.clockToleranceSeconds,
        requiredClaims: ['exp', ...(this.o.requiredClaims ?? [])],
      });
      return payload;
    } catch (e) {
      throw rejection(e, this.o);
    }
  }
}

async function discoverJwksUri(issuer: string, fetchImpl: OutboundFetch): Promise<string> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const res = await fetchImpl(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
  const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
  // A discovery document for another issuer must not lend its keys to this one.
  if (doc.issuer !== issuer) throw new Error(`${url} names issuer ${JSON.stringify(doc.issuer)}, not ${issuer}`);
  if (typeof doc.jwks_uri !== 'string') throw new Error(`${url} has no jwks_uri`);
  return doc.jwks_uri;
}

function rejection(e: unknown, o: RemoteJwtOptions): JwtRejected {
  if (e instanceof errors.JWTExpired) return new JwtRejected(`expired (exp ${String(e.payload.exp)})`);
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return new JwtRejected(`wrong audience ${JSON.stringify(e.payload.aud)} (want ${o.audiences.join(' or ')})`);
    if (e.claim === 'iss') return new JwtRejected(`wrong issuer ${JSON.stringify(e.payload.iss)}`);
    return new JwtRejected(`claim ${e.claim} ${e.reason}: ${e.message}`);
  }
  if (e instanceof errors.JOSEAlgNotAllowed) return new JwtRejected(`signature algorithm not allowed (allowed: ${o.algorithms.join(', ')})`);
  if (e instanceof errors.JWSSignatureVerificationFailed) return new JwtRejected('bad signature (tampered, or signed by another key)');
  if (e instanceof errors.JWKSNoMatchingKey) return new JwtRejected('no key in the issuer\'s JWKS matches the token\'s kid and alg (unknown or retired key)');
  if (e instanceof errors.JWKSMultipleMatchingKeys) return new JwtRejected('several JWKS keys match the token (no kid?)');
  if (e instanceof errors.JWKSTimeout) return new JwtRejected(`timed out fetching the JWKS of ${o.issuer}`, true);
  if (e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid) return new JwtRejected(`malformed token: ${e.message}`);
  if (e instanceof errors.JOSEError) return new JwtRejected(`${e.code}: ${e.message}`);
  return new JwtRejected(`cannot verify: ${(e as Error).message}`, true);
}
