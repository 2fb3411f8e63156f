// The all-in-one's local CLI credential: `kontroler up` issues an API token of its built-in admin at
// each start and revokes it at stop, so the CLI on the same machine goes through the API (RBAC,
// audit log) without a login. The token's secret is handed to the caller, which keeps it in the
// private data dir; only its hash is stored, like every API token.
import { createHash } from 'node:crypto';
import { createApiToken, getUser, listApiTokens, recordAudit, revokeApiToken, type PoolLike } from '@kontroler/store';
import { newApiToken } from './auth/secrets.js';

/** Token names start with this; the rest names the instance (a hash of its host and data dir). */
export const LOCAL_TOKEN_PREFIX = 'local-cli@';

export interface LocalToken {
  id: number;
  name: string;
  /** The secret: shown to the caller only. */
  token: string;
  username: string;
}

/** The local token's name for one instance: stable across restarts, so a start replaces its own leftover. */
export function localTokenName(instanceKey: string): string {
  return `${LOCAL_TOKEN_PREFIX}${createHash('sha256').update(instanceKey).digest('hex').slice(0, 16)}`;
}

/**
 * Issues the local CLI token of instance `instanceKey` for `username` (the built-in admin): admin in
 * every namespace, capped at use by that user's roles, no expiry (it lives as long as the
 * instance). First revokes a live token of the same name that a killed predecessor left behind.
 * Returns undefined (nothing written) when the user is missing, disabled or not a local account.
 * Audited as `token.local.issue` (actor `system`). Not idempotent: each call makes a new secret.
 */
export async function issueLocalToken(pool: PoolLike, username: string, instanceKey: string): Promise<LocalToken | undefined> {
  const user = await getUser(pool, username);
  if (!user || user.disabled || user.source !== 'local') return undefined;
  const name = localTokenName(instanceKey);
  for (const old of await listApiTokens(pool, { userId: user.id })) {
    if (old.name !== name) continue;
    await revokeApiToken(pool, old.id);
    await recordAudit(pool, { actor: 'system', action: 'token.local.revoke', resource: `token/${old.id}`, details: { name, reason: 'left by an earlier start' } });
  }
  const secret = newApiToken();
  const rec = await createApiToken(pool, { userId: user.id, name, tokenHash: secret.hash, prefix: secret.prefix, role: 'admin', namespaces: ['*'] });
  await recordAudit(pool, { actor: 'system', action: 'token.local.issue', resource: `token/${rec.id}`, details: { name, user: username } });
  return { id: rec.id, name, token: secret.token, username };
}

/** Revokes the local token at stop. Idempotent; throws NOT_FOUND for an unknown id. Audited as `token.local.revoke`. */
export async function revokeLocalToken(pool: PoolLike, id: number): Promise<void> {
  const rec = await revokeApiToken(pool, id);
  await recordAudit(pool, { actor: 'system', action: 'token.local.revoke', resource: `token/${id}`, details: { name: rec.name, reason: 'stop' } });
}
