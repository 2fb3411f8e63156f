// `kontroler up`'s local CLI credential (issued at start, revoked at stop), written with the
// instance's URL into <data dir>/instance.json so the CLI on this machine needs no login.
import { hostname } from 'node:os';
import type { ControllerLog } from '@kontroler/controller';
import type { PoolLike } from '@kontroler/store';

/**
 * Longest the revocation at stop may take. A database that is gone must not eat the shutdown's
 * time limit: the next start on the same data dir revokes the token it left.
 */
export const LOCAL_TOKEN_REVOKE_TIMEOUT_MS = 2_000;

export interface HeldLocalToken {
  /** The secret, or undefined when no local credential could be issued. */
  token: string | undefined;
  /** Revokes it, within LOCAL_TOKEN_REVOKE_TIMEOUT_MS; never throws (logs instead). */
  revoke(): Promise<void>;
}

/** Issues the local token of the instance on `dataDir` for the built-in admin `username`. */
export async function holdLocalToken(pool: PoolLike, username: string, dataDir: string, log: ControllerLog): Promise<HeldLocalToken> {
  const { issueLocalToken, revokeLocalToken } = await import('@kontroler/server');
  const issued = await issueLocalToken(pool, username, `${hostname()}:${dataDir}`);
  if (!issued) {
    log.warn(`no local CLI credential: user "${username}" is missing, disabled or not a local account; the CLI needs \`kontroler login\` (or --token)`);
    return { token: undefined, revoke: async () => undefined };
  }
  return {
    token: issued.token,
    async revoke() {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), LOCAL_TOKEN_REVOKE_TIMEOUT_MS)));
      try {
        const outcome = await Promise.race([revokeLocalToken(pool, issued.id), late]);
        if (outcome === 'late') log.warn(`revoking the local CLI token took over ${LOCAL_TOKEN_REVOKE_TIMEOUT_MS} ms: the next start revokes it`);
      } catch (e) {
        log.warn(`revoking the local CLI token failed (the next start revokes it): ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
