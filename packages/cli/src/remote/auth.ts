// kontroler login / logout / whoami
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { ApiError } from '@kontroler/client';
import { configPath, readConfig, writeConfig } from './config.js';
import { connect, withConn, type ConnOptions } from './connection.js';
import { print } from './output.js';
import { readLine, readSecret } from './prompt.js';
import { ssoLogin } from './sso.js';

export function register(program: Command): void {
  withConn(
    program
      .command('login')
      .description('sign in to a Kontroler server and store an API token in your config (~/.config/kontroler/config.json)')
      .option('-u, --username <name>', 'username (env KONTROLER_USERNAME; prompted when absent)')
      .option('--password-stdin', 'read the password from stdin (env KONTROLER_PASSWORD also works)')
      .option('--sso', 'sign in with single sign-on in a browser (the server\'s identity provider)')
      .option('--no-browser', 'with --sso: only print the URL to open, do not start a browser')
      .option('--sso-timeout <seconds>', 'with --sso: how long to wait for the browser', '300')
      .option('--expires-in-days <n>', 'lifetime of the stored token', '90'),
  ).action(async (o: ConnOptions & { username?: string; passwordStdin?: boolean; sso?: boolean; browser: boolean; ssoTimeout: string; expiresInDays: string }) => {
    const env = process.env;
    const conn = await connect({ ...o, token: undefined }, { ...env, KONTROLER_TOKEN: '' }, false);
    const cfg = readConfig(configPath());
    const store = (token: string, tokenId: number | undefined, username: string): void => {
      cfg.servers[conn.server] = { ...conn.entry, token, username, ...(tokenId !== undefined ? { tokenId } : {}) };
      if (tokenId === undefined) delete cfg.servers[conn.server]!.tokenId;
      cfg.current = conn.server;
      writeConfig(cfg, configPath());
    };
    if (o.token) {
      conn.client.token = o.token;
      const me = await conn.client.me();
      store(o.token, me.token?.id, me.username);
      console.log(`Logged in to ${conn.server} as ${me.username} (token${me.token ? ` ${me.token.name}` : ''}).`);
      return;
    }
    const days = Number(o.expiresInDays);
    if (!(days > 0)) throw new Error('--expires-in-days must be a positive number');
    let username: string;
    if (o.sso) {
      const providers = await conn.client.authProviders();
      if (!providers.sso) throw new Error(`${conn.server} has no single sign-on: sign in with a username and password (without --sso)`);
      const timeout = Number(o.ssoTimeout);
      if (!(timeout > 0)) throw new Error('--sso-timeout must be a positive number of seconds');
      const session = await ssoLogin(conn.client, { openBrowser: o.browser, timeoutMs: timeout * 1000, say: (l) => console.error(l) });
      username = session.user.username;
    } else {
      username = o.username ?? env.KONTROLER_USERNAME ?? (await readLine('Username: '));
      const password = env.KONTROLER_PASSWORD ?? (await readSecret('Password: '));
      await conn.client.login(username, password);
    }
    const base = `cli@${hostname()}`.replace(/[^A-Za-z0-9_.@:-]/g, '-').slice(0, 80);
    let created;
    try {
      created = await conn.client.createToken({ name: base, expiresInDays: days });
    } catch (e) {
      if (!(e instanceof ApiError) || e.code !== 'ALREADY_EXISTS') throw e;
      created = await conn.client.createToken({ name: `${base}-${Date.now().toString(36)}`, expiresInDays: days });
    }
    await conn.client.logout().catch(() => undefined); // the password session is not needed any more
    store(created.token, created.id, username);
    console.log(`Logged in to ${conn.server} as ${username}. Token "${created.name}" stored in ${configPath()} (expires ${created.expiresAt ?? 'never'}).`);
  });

  withConn(program.command('logout').description('revoke the stored token and forget it')).action(async (o: ConnOptions) => {
    const conn = await connect(o);
    const cfg = readConfig(configPath());
    const entry = cfg.servers[conn.server];
    if (entry?.tokenId !== undefined) {
      await conn.client.revokeToken(entry.tokenId).catch((e: unknown) => {
        if (!(e instanceof ApiError) || (e.code !== 'UNAUTHENTICATED' && e.code !== 'NOT_FOUND')) throw e;
      });
    }
    if (entry) delete entry.token, delete entry.tokenId, delete entry.username;
    writeConfig(cfg, configPath());
    console.log(`Logged out of ${conn.server}.`);
  });

  withConn(program.command('whoami').description('show who you are signed in as and your roles')).action(async (o: ConnOptions) => {
    const { client, server } = await connect(o);
    const me = await client.me();
    print(o, { server, ...me }, ['SERVER', 'USER', 'VIA', 'NAMESPACE', 'ROLE'], () =>
      me.roles.map((r) => [server, me.username, me.kind === 'token' ? `token ${me.token?.name ?? ''}` : 'session', r.namespace, r.role]),
    );
  });
}
