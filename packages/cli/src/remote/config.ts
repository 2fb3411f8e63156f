// The CLI's login state: ~/.config/kontroler/config.json (or $KONTROLER_CONFIG), mode 0600.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface ServerEntry {
  /** An API token (or a session JWT). */
  token?: string;
  tokenId?: number;
  username?: string;
  /** mTLS: paths of the client certificate, its key, and the CA that signed the server. */
  cert?: string;
  key?: string;
  ca?: string;
}

export interface CliConfig {
  current?: string;
  servers: Record<string, ServerEntry>;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KONTROLER_CONFIG) return env.KONTROLER_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'kontroler', 'config.json');
}

export function readConfig(path = configPath()): CliConfig {
  if (!existsSync(path)) return { servers: {} };
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as Partial<CliConfig>;
    return { ...(raw.current ? { current: raw.current } : {}), servers: raw.servers && typeof raw.servers === 'object' ? raw.servers : {} };
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as Error).message} (fix or delete it)`);
  }
}

/** Writes atomically with owner-only permissions (it holds credentials). */
export function writeConfig(cfg: CliConfig, path = configPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(cfg, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export function normalizeServer(url: string): string {
  const u = url.includes('://') ? url : `http://${url}`;
  return u.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
}
