// Session JWTs (HS256 via jose), CSRF tokens, and API token secrets.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { EncryptJWT, SignJWT, jwtDecrypt, jwtVerify, type JWTPayload } from 'jose';

/** The `iss` of session JWTs: tells them apart from tokens of an identity provider or a cluster. */
export const SESSION_ISSUER = 'kontroler';
const ISSUER = SESSION_ISSUER;
const AUDIENCE = 'kontroler-api';
/** API tokens start with this, so a leaked one is easy to recognise (and to scan for). */
export const API_TOKEN_PREFIX = 'kt_';

export class SessionKeys {
  private readonly key: Uint8Array;
  /** Encrypts short-lived browser state (the OIDC state cookie): confidential and tamper-proof. */
  private readonly sealKey: Uint8Array;

  constructor(secret: string) {
    this.key = createHash('sha256').update(`kontroler-session:${secret}`).digest();
    this.sealKey = createHash('sha256').update(`kontroler-sealed-state:${secret}`).digest();
  }

  /** `claims` encrypted (A256GCM) and bound to `purpose`, valid for `ttlSeconds`. */
  async seal(purpose: string, claims: Record<string, unknown>, ttlSeconds: number): Promise<string> {
    return new EncryptJWT({ ...claims, purpose })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .encrypt(this.sealKey);
  }

  /** The claims of a `seal`ed value for `purpose`, or undefined (tampered, expired, other purpose). */
  async unseal(purpose: string, sealed: string): Promise<JWTPayload | undefined> {
    try {
      const { payload } = await jwtDecrypt(sealed, this.sealKey, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
      return payload.purpose === purpose ? payload : undefined;
    } catch {
      return undefined;
    }
  }

  async sign(input: { sessionId: string; userId: number; username: string; expiresAt: number }): Promise<string> {
    return new SignJWT({ sid: input.sessionId, name: input.username })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(String(input.userId))
      .setIssuedAt()
      .setExpirationTime(Math.floor(input.expiresAt / 1000))
      .sign(this.key);
  }

  /** The session id of a valid, unexpired JWT, or undefined (bad signature, expired, malformed). */
  async verify(jwt: string): Promise<{ sessionId: string; userId: number } | undefined> {
    try {
      const { payload } = await jwtVerify(jwt, this.key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
      if (typeof payload.sid !== 'string' || typeof payload.sub !== 'string') return undefined;
      return { sessionId: payload.sid, userId: Number(payload.sub) };
    } catch {
      return undefined;
    }
  }

  /** The CSRF token of a session: the UI echoes it in `X-CSRF-Token` on cookie-authenticated writes. */
  csrfToken(sessionId: string): string {
    return createHmac('sha256', this.key).update(`csrf:${sessionId}`).digest('base64url');
  }

  checkCsrf(sessionId: string, given: string | undefined): boolean {
    if (!given) return false;
    const want = Buffer.from(this.csrfToken(sessionId));
    const got = Buffer.from(given);
    return want.length === got.length && timingSafeEqual(want, got);
  }
}

export function newSessionId(): string {
  return randomBytes(18).toString('base64url');
}

/** A new API token secret: `kt_` + 32 random bytes. */
export function newApiToken(): { token: string; hash: string; prefix: string } {
  const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashApiToken(token), prefix: token.slice(0, 10) };
}

export function hashApiToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
