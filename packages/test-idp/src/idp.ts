// A real OpenID Connect provider for tests: panva's certified `oidc-provider`, on 127.0.0.1 with a
// random port, users in groups, its own login page, and key rotation. Never used in production.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

export interface TestUser {
  username: string;
  password: string;
  sub: string;
  email: string;
  name: string;
  groups: string[];
}

export interface TestClient {
  clientId: string;
  /** Absent: a public client (PKCE, no secret). */
  clientSecret?: string;
  redirectUris: string[];
}

/** Three people: alice (group platform), bob (group data-team), carol (no group anyone maps). */
export const TEST_USERS: readonly TestUser[] = [
  { username: 'alice', password: 'alice-pass-1', sub: 'u-alice-0001', email: 'alice@example.com', name: 'Alice Admin', groups: ['platform', 'everyone'] },
  { username: 'bob', password: 'bob-pass-2', sub: 'u-bob-0002', email: 'bob@example.com', name: 'Bob Builder', groups: ['data-team', 'everyone'] },
  { username: 'carol', password: 'carol-pass-3', sub: 'u-carol-0003', email: 'carol@example.com', name: 'Carol Contractor', groups: ['contractors'] },
];

export interface TestIdp {
  readonly issuer: string;
  readonly users: readonly TestUser[];
  /** Registers clients (rebuilds the provider; sessions and keys are kept). */
  setClients(clients: TestClient[]): void;
  /** Lifetime of ID tokens issued from now on (default 600 s). */
  setIdTokenTtl(seconds: number): void;
  /** Signs with a new key from now on; the old key stays published unless `retire`. Returns the new kid. */
  rotateKeys(opts?: { retire?: boolean }): Promise<string>;
  /** Stops publishing every key but the current one. */
  retireOldKeys(): void;
  /** Key id used for signing now. */
  readonly currentKid: string;
  /** The public keys currently published at the JWKS endpoint. */
  publishedKids(): string[];
  /** Signs arbitrary claims with the current private key (for tokens no real flow issues, e.g. another issuer). */
  sign(claims: Record<string, unknown>, opts?: { kid?: string; expiresIn?: string | number | null }): Promise<string>;
  /** The current public signing key as a JWK. */
  publicJwk(): JWK;
  close(): Promise<void>;
}

async function newKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: `k-${randomBytes(6).toString('hex')}`, alg: 'RS256', use: 'sig' };
}

function publicPart(k: JWK): JWK {
  const { kty, n, e, kid, alg, use } = k;
  return { kty, n, e, kid, alg, use } as JWK;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(uid: string, clientId: string, error?: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Test IdP sign-in</title></head><body>
<h1>Test identity provider</h1><p>Sign in to continue to <b>${escapeHtml(clientId)}</b>.</p>
${error ? `<p id="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form id="login" method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
<label>Username <input name="username" id="username" required autofocus></label>
<label>Password <input name="password" id="password" type="password" required></label>
<button type="submit" id="submit">Sign in</button>
</form></body></html>`;
}

/** Starts the provider on 127.0.0.1 (random port). Call `setClients` before any sign-in. */
export async function startTestIdp(opts: { users?: readonly TestUser[]; hostname?: '127.0.0.1' | 'localhost' } = {}): Promise<TestIdp> {
  const users = opts.users ?? TEST_USERS;
  let keys: JWK[] = [await newKey()];
  let clients: TestClient[] = [];
  let idTokenTtl = 600;
  const cookieKeys = [randomBytes(32).toString('hex')];

  const http: Server = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  // `localhost` makes the provider another site than a relying party on 127.0.0.1 (SameSite rules apply as across domains).
  const issuer = `http://${opts.hostname ?? '127.0.0.1'}:${(http.address() as AddressInfo).port}`;

  const build = (): Provider => {
    const configuration: Configuration = {
      clients: clients.map((c) => ({
        client_id: c.clientId,
        ...(c.clientSecret ? { client_secret: c.clientSecret, token_endpoint_auth_method: 'client_secret_basic' as const } : { token_endpoint_auth_method: 'none' as const }),
        redirect_uris: c.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        id_token_signed_response_alg: 'RS256',
      })),
      jwks: { keys: keys.map((k) => ({ ...k })) as never },
      cookies: { keys: cookieKeys },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'], groups: ['groups'] },
      scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
      // Claims in the ID token too (as Dex and Keycloak do), not only at userinfo.
      conformIdTokenClaims: false,
      pkce: { required: () => true },
      ttl: { IdToken: () => idTokenTtl, AccessToken: 600, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600 },
      features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
      interactions: { url: (_ctx: KoaContextWithOIDC, interaction) => `/interaction/${interaction.uid}` },
      async findAccount(_ctx, sub) {
        const u = users.find((x) => x.sub === sub);
        if (!u) return undefined;
        return {
          accountId: sub,
          async claims() {
            return { sub, email: u.email, email_verified: true, name: u.name, preferred_username: u.username, groups: [...u.groups] };
          },
        };
      },
      // First-party test clients: no consent screen; grant what was asked for.
      async loadExistingGrant(ctx) {
        const clientId = ctx.oidc.client!.clientId;
        const existing = ctx.oidc.session!.grantIdFor(clientId);
        if (existing) {
          const g = await ctx.oidc.provider.Grant.find(existing);
          if (g) return g;
        }
        const grant = new ctx.oidc.provider.Grant({ clientId, accountId: ctx.oidc.session!.accountId! });
        grant.addOIDCScope(String(ctx.oidc.params!.scope ?? 'openid'));
        await grant.save();
        ctx.oidc.session!.ensureClientContainer(clientId);
        ctx.oidc.session!.grantIdFor(clientId, grant.jti);
        return grant;
      },
    };
    const p = new Provider(issuer, configuration);
    p.proxy = false;
    return p;
  };
  let provider = build();

  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', issuer);
      const m = /^\/interaction\/([^/]+)(\/login)?$/.exec(url.pathname);
      if (!m) return provider.callback()(req, res);
      const details = await provider.interactionDetails(req, res);
      const clientId = String(details.params.client_id ?? '');
      if (req.method === 'GET' && !m[2]) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(loginPage(details.uid, clientId));
        return;
      }
      if (req.method === 'POST' && m[2]) {
        const form = await readForm(req);
        const u = users.find((x) => x.username === form.get('username') && x.password === form.get('password'));
        if (!u) {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(loginPage(details.uid, clientId, 'Wrong username or password.'));
          return;
        }
        await provider.interactionFinished(req, res, { login: { accountId: u.sub } }, { mergeWithLastSubmission: false });
        return;
      }
      res.writeHead(405).end();
    })().catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`test IdP error: ${e instanceof Error ? e.message : String(e)}`);
    });
  });

  return {
    issuer,
    users,
    setClients(c) {
      clients = c;
      provider = build();
    },
    setIdTokenTtl(seconds) {
      idTokenTtl = seconds;
    },
    async rotateKeys(o = {}) {
      const k = await newKey();
      keys = o.retire ? [k] : [k, ...keys];
      provider = build();
      return k.kid!;
    },
    retireOldKeys() {
      keys = keys.slice(0, 1);
      provider = build();
    },
    get currentKid() {
      return keys[0]!.kid!;
    },
    publishedKids: () => keys.map((k) => k.kid!),
    async sign(claims, o = {}) {
      const k = (o.kid ? keys.find((x) => x.kid === o.kid) : keys[0]) ?? keys[0]!;
      const key = await importJWK(k, 'RS256');
      const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: k.kid!, typ: 'JWT' }).setIssuedAt();
      if (o.expiresIn !== null) jwt.setExpirationTime(o.expiresIn ?? '10m');
      return jwt.sign(key);
    },
    publicJwk: () => publicPart(keys[0]!),
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
