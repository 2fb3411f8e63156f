// First start: an `admin` user with the admin role in every namespace. Never a fixed password.
import { countUsers, createUser } from '@kontroler/store';
import type { PoolLike } from '@kontroler/store';
import { generatePassword, hashPassword, passwordProblem } from './auth/passwords.js';

export interface BootstrapResult {
  /** False when users already existed (nothing changed). */
  created: boolean;
  username: string;
  /** Only when generated here: the caller prints it once; it is stored nowhere in clear. */
  generatedPassword?: string;
}

/**
 * Creates the first admin when there are no users yet. Uses `password` when given (the entry
 * point passes KONTROLER_ADMIN_PASSWORD), else generates one and returns it. Idempotent and safe
 * when several servers start at once (only one creates the user).
 */
export async function bootstrapAdmin(pool: PoolLike, opts: { password?: string; username?: string } = {}): Promise<BootstrapResult> {
  const username = opts.username ?? 'admin';
  if ((await countUsers(pool)) > 0) return { created: false, username };
  if (opts.password !== undefined) {
    const problem = passwordProblem(opts.password);
    if (problem) throw new Error(`KONTROLER_ADMIN_PASSWORD ${problem}`);
  }
  const password = opts.password ?? generatePassword();
  try {
    await createUser(pool, { username, passwordHash: await hashPassword(password), roles: [{ namespace: '*', role: 'admin' }] });
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ALREADY_EXISTS') return { created: false, username };
    throw e;
  }
  return { created: true, username, ...(opts.password === undefined ? { generatedPassword: password } : {}) };
}
