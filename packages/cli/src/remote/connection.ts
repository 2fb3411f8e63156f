// Which server, which credential, which TLS files: flags > environment > config file > the local
// instance (`kontroler up` on the data dir: its URL and local credential from instance.json).
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { KontrolerClient } from '@kontroler/client';
import { KontrolerError } from '@kontroler/core';
import { readLiveInstance } from '../instance.js';
import { dataDirFrom } from '../data-dir.js';
import { configPath, normalizeServer, readConfig, type ServerEntry } from './config.js';

export interface ConnOptions {
  server?: string;
  token?: string;
  cert?: string;
  key?: string;
  ca?: string;
  output?: string;
  dataDir?: string;
}

/**
 * Adds the connection and output options every remote command takes. `shortServer: false` leaves
 * `-s` to the command (`runs -s STATUS`); `--server` is always there.
 */
export function withConn(cmd: Command, opts: { shortServer?: boolean } = {}): Command {
  return cmd
    .option(`${opts.shortServer === false ? '' : '-s, '}--server <url>`, 'API server URL (env KONTROLER_SERVER; default: the one you logged in to, else the local instance)')
    .option('--token <token>', 'API token to use (env KONTROLER_TOKEN; default: the stored login)')
    .option('--cert <file>', 'client certificate (PEM) for mTLS')
    .option('--key <file>', 'client certificate key (PEM) for mTLS')
    .option('--ca <file>', 'CA bundle (PEM) that signed the server certificate')
    .option('--data-dir <dir>', 'without a server: the local instance on this data dir (env KONTROLER_DATA_DIR; default ./.kontroler)')
    .option('-o, --output <format>', 'table, json or yaml', 'table');
}

export interface Connection {
  client: KontrolerClient;
  server: string;
  entry: ServerEntry;
}

/** A fetch that presents a client certificate and trusts `ca` (undici: Node only). */
export async function tlsFetch(files: { cert?: string; key?: string; ca?: string }): Promise<typeof fetch | undefined> {
  if (!files.cert && !files.key && !files.ca) return undefined;
  if ((files.cert && !files.key) || (!files.cert && files.key)) throw new Error('--cert and --key go together');
  const read = (f: string | undefined) => (f ? readFileSync(f) : undefined);
  const cert = read(files.cert);
  const key = read(files.key);
  const ca = read(files.ca);
  const { Agent, fetch: undiciFetch } = await import('undici');
  const dispatcher = new Agent({ connect: { ...(cert ? { cert } : {}), ...(key ? { key } : {}), ...(ca ? { ca } : {}) } });
  return ((input: string | URL | Request, init?: RequestInit) =>
    undiciFetch(input as string, { ...(init as object), dispatcher } as Parameters<typeof undiciFetch>[1])) as unknown as typeof fetch;
}

export async function connect(o: ConnOptions, env: NodeJS.ProcessEnv = process.env, requireToken = true): Promise<Connection> {
  const cfg = readConfig(configPath(env));
  const raw = o.server ?? env.KONTROLER_SERVER ?? cfg.current;
  const local = raw ? undefined : localInstance(o, env);
  const server = normalizeServer(raw ?? local!.url);
  const entry = cfg.servers[server] ?? {};
  const token = o.token ?? env.KONTROLER_TOKEN ?? entry.token ?? local?.token;
  if (requireToken && !token) {
    if (local) throw new Error(`the local Kontroler at ${server} has no local credential (it has no built-in admin, e.g. KONTROLER_PASSWORD_LOGIN=false): run \`kontroler login --server ${server}\` or pass --token`);
    throw new Error(`not logged in to ${server}: run \`kontroler login --server ${server}\` or pass --token`);
  }
  const files = { cert: o.cert ?? env.KONTROLER_CLIENT_CERT ?? entry.cert, key: o.key ?? env.KONTROLER_CLIENT_KEY ?? entry.key, ca: o.ca ?? env.KONTROLER_CA ?? entry.ca };
  const f = await tlsFetch(files);
  const client = new KontrolerClient({ baseUrl: server, ...(token ? { token } : {}), ...(f ? { fetch: f } : {}) });
  return { client, server, entry: { ...entry, ...(files.cert ? { cert: files.cert } : {}), ...(files.key ? { key: files.key } : {}), ...(files.ca ? { ca: files.ca } : {}) } };
}

/**
 * The local instance to use when no server is named: the one running on the data dir. Throws
 * UNAVAILABLE saying both ways out (start one, or name a server).
 */
function localInstance(o: ConnOptions, env: NodeJS.ProcessEnv): { url: string; token: string | undefined } {
  const dataDir = dataDirFrom(o.dataDir, env);
  let info;
  try {
    info = readLiveInstance(dataDir);
  } catch (e) {
    throw new KontrolerError('UNAVAILABLE', `no server: ${(e as Error).message}; or pass --server URL, set KONTROLER_SERVER, or run \`kontroler login --server URL\``, { cause: e });
  }
  if (!info.url) throw new KontrolerError('UNAVAILABLE', `no server: the Kontroler running on ${dataDir} (pid ${info.pid}) serves no API; pass --server URL`);
  return { url: info.url, token: info.token };
}
