// Single sign-on: Kontroler as an OpenID Connect relying party (authorization code flow with PKCE,
// state and nonce), through openid-client. The ID token is verified twice: by openid-client
// (issuer, audience, azp, nonce, expiry) and by our strict verifier (signature against the
// provider's JWKS with pinned algorithms), which also verifies ID tokens sent as Bearer credentials.
import * as client from 'openid-client';
import type { JWTPayload } from 'jose';
import type { OidcConfig } from '../config.js';
import { outboundFetch } from './outbound-fetch.js';
import { JwtRejected, RemoteJwtVerifier, issuerVerifierOptions } from './remote-jwt.js';
import { missingClaims } from './role-map.js';

/** Hosts where a plain-http issuer is allowed (a provider on this machine: tests, development). */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function isLoopbackHttp(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' && LOOPBACK.has(u.hostname);
  } catch {
    return false;
  }
}

/** What a finished sign-in yields: who (issuer + subject) and every claim the role map may use. */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  claims: Record<string, unknown>;
}

/** The state a sign-in carries from the redirect to the callback (kept in a sealed cookie). */
export interface LoginChecks {
  state: string;
  nonce: string;
  verifier: string;
}

/** Refused sign-in: `reason` for the server log; `code` for the redirect the browser sees. */
export class SsoFailed extends Error {
  constructor(
    readonly code: 'denied' | 'state' | 'failed' | 'unavailable',
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'SsoFailed';
  }
}

export class OidcProvider {
  /** Verifies ID tokens: at sign-in, and when sent as Bearer credentials. */
  readonly idTokens: RemoteJwtVerifier;
  private configuration?: client.Configuration;
  private pending?: Promise<client.Configuration>;

  constructor(readonly cfg: OidcConfig) {
    for (const [what, url] of [['issuer', cfg.issuer], ['redirect URL', cfg.redirectUrl]] as const) {
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        throw new Error(`OIDC ${what} ${JSON.stringify(url)} is not a URL`);
      }
      if (u.protocol !== 'https:' && !isLoopbackHttp(url)) throw new Error(`OIDC ${what} ${url} must use https (plain http only on 127.0.0.1 / localhost)`);
    }
    if (!cfg.scopes.includes('openid')) throw new Error('OIDC scopes must include openid');
    this.idTokens = new RemoteJwtVerifier(issuerVerifierOptions(cfg, [cfg.clientId, ...cfg.audiences], outboundFetch(cfg.ca !== undefined ? { ca: cfg.ca } : {})));
  }

  get issuer(): string {
    return this.cfg.issuer;
  }

  /** The provider's metadata, discovered on first use (a failed discovery is retried next time). */
  private async config(): Promise<client.Configuration> {
    if (this.configuration) return this.configuration;
    this.pending ??= (async () => {
      const c = this.cfg;
      const auth = c.clientSecret !== undefined ? client.ClientSecretBasic(c.clientSecret) : client.None();
      const execute = isLoopbackHttp(c.issuer) ? [client.allowInsecureRequests] : [];
      const conf = await client.discovery(new URL(c.issuer), c.clientId, c.clientSecret !== undefined ? { client_secret: c.clientSecret } : {}, auth, {
        execute,
        timeout: 10,
        ...(c.ca !== undefined ? { [client.customFetch]: outboundFetch({ ca: c.ca }) as unknown as client.CustomFetch } : {}),
      });
      this.configuration = conf;
      return conf;
    })().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Fresh state, nonce and PKCE verifier for one sign-in. */
  newChecks(): LoginChecks {
    return { state: client.randomState(), nonce: client.randomNonce(), verifier: client.randomPKCECodeVerifier() };
  }

  /** Where to send the browser: the provider's authorization endpoint with state, nonce and the PKCE challenge. */
  async authorizationUrl(checks: LoginChecks): Promise<URL> {
    let conf: client.Configuration;
    try {
      conf = await this.config();
    } catch (e) {
      throw new SsoFailed('unavailable', `OIDC discovery of ${this.cfg.issuer} failed: ${(e as Error).message}`);
    }
    return client.buildAuthorizationUrl(conf, {
      redirect_uri: this.cfg.redirectUrl,
      scope: this.cfg.scopes.join(' '),
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(checks.verifier),
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
    });
  }

  /**
   * Finishes a sign-in from the callback's query string: exchanges the code (with the PKCE
   * verifier), verifies the ID token strictly, and adds userinfo claims when the role map needs a
   * claim the ID token lacks. Throws SsoFailed.
   */
  async finish(query: URLSearchParams, checks: LoginChecks): Promise<OidcIdentity> {
    const providerError = query.get('error');
    if (providerError !== null) {
      throw new SsoFailed(providerError === 'access_denied' ? 'denied' : 'failed', `the provider answered ${providerError}: ${query.get('error_description') ?? ''}`);
    }
    if (query.get('state') !== checks.state) throw new SsoFailed('state', 'state does not match the sign-in this browser started (stale or forged callback)');
    let conf: client.Configuration;
    try {
      conf = await this.config();
    } catch (e) {
      throw new SsoFailed('unavailable', `OIDC discovery of ${this.cfg.issuer} failed: ${(e as Error).message}`);
    }
    const current = new URL(this.cfg.redirectUrl);
    current.search = query.toString();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(conf, current, {
        pkceCodeVerifier: checks.verifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
    } catch (e) {
      throw new SsoFailed('failed', `code exchange failed: ${describe(e)}`);
    }
    const idToken = tokens.id_token;
    if (!idToken) throw new SsoFailed('failed', 'the token response has no ID token');
    let claims: JWTPayload;
    try {
      claims = await this.idTokens.verify(idToken);
    } catch (e) {
      throw new SsoFailed(e instanceof JwtRejected && e.unavailable ? 'unavailable' : 'failed', `ID token refused: ${(e as Error).message}`);
    }
    if (claims.nonce !== checks.nonce) throw new SsoFailed('failed', 'ID token nonce does not match');
    let all: Record<string, unknown> = { ...claims };
    if (missingClaims(this.cfg.roleMap, all) && tokens.access_token && conf.serverMetadata().userinfo_endpoint) {
      try {
        const info = await client.fetchUserInfo(conf, tokens.access_token, String(claims.sub));
        all = { ...info, ...claims };
      } catch (e) {
        throw new SsoFailed('failed', `userinfo failed: ${describe(e)}`);
      }
    }
    return { issuer: this.cfg.issuer, subject: String(claims.sub), claims: all };
  }

  /** An ID token presented as a Bearer credential: its identity, or throws JwtRejected. */
  async verifyBearer(jwt: string): Promise<OidcIdentity & { expiresAt: number }> {
    const claims = await this.idTokens.verify(jwt);
    return { issuer: this.cfg.issuer, subject: String(claims.sub), claims: { ...claims }, expiresAt: Number(claims.exp) * 1000 };
  }

  /**
   * The Kontroler username of an identity: the configured claim, else `preferred_username`, else
   * `sub`, made to fit the username rules (letters, digits, `_ . @ -`, starting with a letter).
   */
  usernameOf(identity: OidcIdentity): string {
    const pick = [this.cfg.usernameClaim, 'preferred_username', 'sub']
      .map((k) => identity.claims[k])
      .find((v): v is string => typeof v === 'string' && v.trim() !== '')!;
    let name = String(pick ?? identity.subject).trim().replace(/[^A-Za-z0-9_.@-]+/g, '-');
    if (!/^[A-Za-z]/.test(name)) name = `u${name}`;
    return name.slice(0, 100);
  }
}

function describe(e: unknown): string {
  if (e instanceof client.ResponseBodyError) return `${e.error}${e.error_description ? `: ${e.error_description}` : ''} (HTTP ${e.status})`;
  if (e instanceof client.AuthorizationResponseError) return `${e.error}${e.error_description ? `: ${e.error_description}` : ''}`;
  const cause = (e as { cause?: unknown }).cause;
  return `${(e as Error).message}${cause instanceof Error ? ` (${cause.message})` : ''}`;
}
