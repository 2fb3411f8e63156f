// kontroler login --sso: the loopback-redirect flow (RFC 8252). The CLI listens on 127.0.0.1 (a
// random port), sends the browser to the server's single sign-on with that address, a state and
// the S256 challenge of a secret verifier; the server finishes the sign-in with the identity
// provider and redirects the browser back here with a one-time code, which only the holder of the
// verifier can redeem (POST /api/v1/auth/oidc/token) for a session.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KontrolerClient, LoginResult } from '@kontroler/client';

export interface SsoLoginOptions {
  /** Try to open the URL in a browser (default true); it is printed either way. */
  openBrowser: boolean;
  /** How long to wait for the browser to come back (default 5 minutes). */
  timeoutMs: number;
  /** Where to tell the user what to do. */
  say(line: string): void;
}

const PAGE = (title: string, text: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body style="font-family:sans-serif;margin:3em"><h1>${title}</h1><p>${text}</p></body></html>`;

const ERRORS: Record<string, string> = {
  no_access: 'you signed in, but no Kontroler role is mapped to you: ask an administrator to map one of your groups',
  denied: 'the sign-in was cancelled or refused at the identity provider',
  state: 'the sign-in expired or was started elsewhere: run kontroler login --sso again',
  unavailable: 'the server could not reach the identity provider: try again shortly',
  failed: 'the sign-in failed (the server log says why)',
};

function openInBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open';
  const args = process.platform === 'win32' ? ['/c', 'start', '""', url] : [url];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined); // no opener: the printed URL is enough
    child.unref();
  } catch {
    /* the URL is printed */
  }
}

/** Runs the loopback flow against `client`'s server; resolves to the new session (also set on the client). */
export async function ssoLogin(client: KontrolerClient, o: SsoLoginOptions): Promise<LoginResult> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(16).toString('base64url');
  let settle!: { resolve: (code: string) => void; reject: (e: Error) => void };
  const arrived = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    // Anything on this machine can hit the port: only the answer with our state counts.
    if (url.searchParams.get('state') !== state) {
      res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE('Sign-in failed', 'This answer does not belong to the sign-in the command line started.'));
      return;
    }
    const error = url.searchParams.get('error');
    const code = url.searchParams.get('code');
    if (error !== null || !code) {
      const why = ERRORS[error ?? 'failed'] ?? ERRORS.failed!;
      const who = url.searchParams.get('user');
      res.writeHead(403, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE(error === 'no_access' ? 'No access' : 'Sign-in failed', `${who ? `Signed in as ${who}, but ` : ''}${why}.`));
      settle.reject(new Error(`single sign-on: ${who ? `${who}: ` : ''}${why}`));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE('Signed in', 'You are signed in to Kontroler. You can close this tab and return to the terminal.'));
    settle.resolve(code);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const timer = setTimeout(() => settle.reject(new Error(`single sign-on: no answer from the browser within ${Math.round(o.timeoutMs / 1000)} s`)), o.timeoutMs);
  try {
    const url = client.ssoLoginUrl({ cli: { redirect: `http://127.0.0.1:${port}/callback`, state, challenge } });
    o.say(`Open this URL in a browser to sign in:\n\n  ${url}\n`);
    if (o.openBrowser) openInBrowser(url);
    const code = await arrived;
    return await client.redeemSsoCode(code, verifier);
  } finally {
    clearTimeout(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
