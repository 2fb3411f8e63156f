// A Kontroler server wired to a real OpenID provider (oidc-provider, in process on 127.0.0.1):
// clients `kontroler` (this server's redirect URL) and `other-app` (another relying party of the
// same provider), and a role map over the test users' groups.
import { createServer as createNetServer } from 'node:net';
import * as client from 'openid-client';
import { bootstrapAdmin, createServer, oidcConfig, type KontrolerServer, type ServerConfig, type ServerLog } from '@kontroler/server';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { HttpBrowser, signInThroughIdp, startTestIdp, type TestIdp, type TestUser } from '@kontroler/test-idp';
import { ADMIN_PASSWORD } from './harness.js';

export const CLIENT_ID = 'kontroler';
export const CLIENT_SECRET = 'kontroler-client-secret-for-tests';
export const OTHER_CLIENT = 'other-app';
export const OTHER_SECRET = 'other-app-secret-for-tests';
export const OTHER_REDIRECT = 'http://127.0.0.1:9/other-app/callback';

/** platform → admin everywhere; data-team → editor in `data`; everyone → viewer in `shared`. Carol matches nothing. */
export const ROLE_MAP = [
  { claim: 'groups', value: 'platform', namespace: '*', role: 'admin' },
  { claim: 'groups', value: 'data-team', namespace: 'data', role: 'editor' },
  { claim: 'groups', value: 'everyone', namespace: 'shared', role: 'viewer' },
] as const;

export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Collects what the server logs, to check that refusals are explained there. */
export class MemoryLog implements ServerLog {
  readonly lines: string[] = [];
  info(m: string): void {
    this.lines.push(`info ${m}`);
  }
  warn(m: string): void {
    this.lines.push(`warn ${m}`);
  }
  error(m: string, e?: unknown): void {
    this.lines.push(`error ${m}${e ? `: ${String(e)}` : ''}`);
  }
  /** Lines logged since `mark` (a previous `lines.length`). */
  since(mark: number): string[] {
    return this.lines.slice(mark);
  }
}

export interface OidcHarness {
  idp: TestIdp;
  db: TestDatabase;
  server: KontrolerServer;
  url: string;
  log: MemoryLog;
  callbackUrl: string;
  user(name: string): TestUser;
  /** Signs `user` in through the IdP's login page; returns the browser (with Kontroler's cookies) and the last hop. */
  signIn(name: string, opts?: { returnTo?: string; accept?: string }): Promise<{ browser: HttpBrowser; location: string | undefined; status: number; body: string }>;
  /** An ID token for `user` issued to `clientId` by a real code flow (the test plays the relying party). */
  idToken(name: string, clientId?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startOidcHarness(
  o: { config?: Partial<ServerConfig>; oidc?: Parameters<typeof oidcConfig>[0] extends infer T ? Partial<T> : never; admin?: boolean; idpHost?: '127.0.0.1' | 'localhost' } = {},
): Promise<OidcHarness> {
  const idp = await startTestIdp(o.idpHost ? { hostname: o.idpHost } : {});
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const callbackUrl = `${url}/api/v1/auth/oidc/callback`;
  idp.setClients([
    { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [callbackUrl] },
    { clientId: OTHER_CLIENT, clientSecret: OTHER_SECRET, redirectUris: [OTHER_REDIRECT] },
  ]);
  const db = await createTestDatabase();
  if (o.admin !== false) await bootstrapAdmin(db.pool, { password: ADMIN_PASSWORD });
  const log = new MemoryLog();
  const server = await createServer({
    pool: db.pool,
    databaseUrl: db.url,
    log,
    config: {
      jwtSecret: 'test-secret',
      oidc: oidcConfig({
        issuer: idp.issuer,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        redirectUrl: callbackUrl,
        scopes: ['openid', 'email', 'profile', 'groups'],
        roleMap: ROLE_MAP.map((r) => ({ ...r })),
        displayName: 'Test IdP',
        ...(o.oidc ?? {}),
      }),
      ...(o.config ?? {}),
    },
  });
  await server.listen(port, '127.0.0.1');
  const user = (name: string) => {
    const u = idp.users.find((x) => x.username === name);
    if (!u) throw new Error(`no test user ${name}`);
    return u;
  };
  const isKontrolerPage = (next: string) => next.startsWith(url) && !next.startsWith(`${url}/api/`);
  return {
    idp,
    db,
    server,
    url,
    log,
    callbackUrl,
    user,
    async signIn(name, so = {}) {
      const browser = new HttpBrowser();
      const start = `${url}/api/v1/auth/oidc/login${so.returnTo ? `?returnTo=${encodeURIComponent(so.returnTo)}` : ''}`;
      const hop = await signInThroughIdp(browser, start, user(name), isKontrolerPage);
      return { browser, location: hop.location, status: hop.status, body: hop.body };
    },
    async idToken(name, clientId = CLIENT_ID) {
      const secret = clientId === CLIENT_ID ? CLIENT_SECRET : OTHER_SECRET;
      const redirectUri = clientId === CLIENT_ID ? callbackUrl : OTHER_REDIRECT;
      const conf = await client.discovery(new URL(idp.issuer), clientId, { client_secret: secret }, client.ClientSecretBasic(secret), { execute: [client.allowInsecureRequests] });
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const authUrl = client.buildAuthorizationUrl(conf, {
        redirect_uri: redirectUri,
        scope: 'openid email profile groups',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      const browser = new HttpBrowser();
      const hop = await signInThroughIdp(browser, authUrl.toString(), user(name), (next) => next.startsWith(redirectUri));
      if (!hop.location?.startsWith(redirectUri)) throw new Error(`sign-in at the IdP did not come back to ${redirectUri}: ${hop.status} ${hop.location ?? hop.body.slice(0, 200)}`);
      const tokens = await client.authorizationCodeGrant(conf, new URL(hop.location), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
      return tokens.id_token!;
    },
    async close() {
      await server.close();
      await idp.close();
      await db.drop();
    },
  };
}
