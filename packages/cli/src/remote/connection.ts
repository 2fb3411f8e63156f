// Which server, which credential, which TLS files: flags > environment > config file.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { KontrolerClient } from '@kontroler/client';
import { configPath, normalizeServer, readConfig, type ServerEntry } from './config.js';

export interface ConnOptions {
  server?: string;
  token?: string;
  cert?: string;
  key?: string;
  ca?: string;
  output?: string;
}

/** Adds the connection and output options every remote command takes. */
export function withConn(cmd: Command): Command {
  return cmd
    .option('-s, --server <url>', 'API server URL (env KONTROLER_SERVER; default: the one you logged in to)')
    .option('--token <token>', 'API token to use (env KONTROLER_TOKEN; default: the stored login)')
    .option('--cert <file>', 'client certificate (PEM) for mTLS')
    .option('--key <file>', 'client certificate key (PEM) for mTLS')
    .option('--ca <file>', 'CA bundle (PEM) that signed the server certificate')
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
  if (!raw) throw new Error('no server: pass --server URL, set KONTROLER_SERVER, or run `kontroler login --server URL`');
  const server = normalizeServer(raw);
  const entry = cfg.servers[server] ?? {};
  const token = o.token ?? env.KONTROLER_TOKEN ?? entry.token;
  if (requireToken && !token) throw new Error(`not logged in to ${server}: run \`kontroler login --server ${server}\` or pass --token`);
  const files = { cert: o.cert ?? env.KONTROLER_CLIENT_CERT ?? entry.cert, key: o.key ?? env.KONTROLER_CLIENT_KEY ?? entry.key, ca: o.ca ?? env.KONTROLER_CA ?? entry.ca };
  const f = await tlsFetch(files);
  const client = new KontrolerClient({ baseUrl: server, ...(token ? { token } : {}), ...(f ? { fetch: f } : {}) });
  return { client, server, entry: { ...entry, ...(files.cert ? { cert: files.cert } : {}), ...(files.key ? { key: files.key } : {}), ...(files.ca ? { ca: files.ca } : {}) } };
}
