// One call for entry points (`kontroler server`, `kontroler up`): build and listen.
import type { PoolLike } from '@kontroler/store';
import type { ServerConfig, ServerLog } from './config.js';
import { createServer, type KontrolerServer } from './server.js';

export interface StartServerOptions {
  pool: PoolLike;
  databaseUrl?: string;
  /** Default 8080. 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  config?: Partial<ServerConfig>;
  log?: ServerLog;
}

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  server: KontrolerServer;
  close(): Promise<void>;
}

export async function startServer(o: StartServerOptions): Promise<RunningServer> {
  const server = await createServer({ pool: o.pool, ...(o.databaseUrl ? { databaseUrl: o.databaseUrl } : {}), ...(o.config ? { config: o.config } : {}), ...(o.log ? { log: o.log } : {}) });
  const url = await server.listen(o.port ?? 8080, o.host ?? '127.0.0.1');
  o.log?.info(`API listening on ${url}`);
  return { url, server, close: () => server.close() };
}
