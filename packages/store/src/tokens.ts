// API tokens for CI and the CLI: named, scoped to a role and namespaces, optional expiry, stored as
// a SHA-256 of the secret (the secret itself is shown once, by the server, and never stored).
import { KontrolerError } from '@kontroler/core';
import type { Queryable } from './db.js';
import { ms } from './records.js';
import type { ApiTokensRow, UsersRow } from './rows/auth.js';
import { ROLES_OF_USER, userFromRow, type UserRecordRow } from './user-select.js';
import type { Role, UserRecord } from './users.js';
import { AUTH_CHANNEL } from './users.js';

export interface ApiTokenRecord {
  id: number;
  userId: number;
  username: string;
  name: string;
  /** First characters of the secret, to recognise a token in lists. */
  prefix: string;
  role: Role;
  /** `*` = every namespace. */
  namespaces: string[];
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
  createdAt: number;
}

/** What TOKEN_SELECT returns per token. */
type TokenRow = ApiTokensRow & Pick<UsersRow, 'username'>;

function tokenFromRow(r: TokenRow): ApiTokenRecord {
  return {
    id: r.id,
    userId: r.user_id,
    username: r.username,
    name: r.name,
    prefix: r.prefix,
    role: r.role,
    namespaces: r.namespaces,
    expiresAt: ms(r.expires_at),
    revokedAt: ms(r.revoked_at),
    lastUsedAt: ms(r.last_used_at),
    createdAt: ms(r.created_at) ?? 0,
  };
}

const TOKEN_SELECT = 'select t.*, u.username from api_tokens t join users u on u.id = t.user_id';

/** Stores a new token. Throws ALREADY_EXISTS when the user has a live token of that name. */
export async function createApiToken(
  db: Queryable,
  input: { userId: number; name: string; tokenHash: string; prefix: string; role: Role; namespaces: readonly string[]; expiresAt?: number },
): Promise<ApiTokenRecord> {
  try {
    const { rows } = await db.query<Pick<ApiTokensRow, 'id'>>(
      `insert into api_tokens (user_id, name, token_hash, prefix, role, namespaces, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7) returning id`,
      [input.userId, input.name, input.tokenHash, input.prefix, input.role, input.namespaces, input.expiresAt === undefined ? null : new Date(input.expiresAt)],
    );
    return (await getApiToken(db, rows[0]!.id))!;
  } catch (e) {
    if ((e as { code?: string }).code === '23505') throw new KontrolerError('ALREADY_EXISTS', `a token named ${input.name} already exists: revoke it or pick another name`, { cause: e });
    throw e;
  }
}

export async function getApiToken(db: Queryable, id: number): Promise<ApiTokenRecord | undefined> {
  const { rows } = await db.query<TokenRow>(`${TOKEN_SELECT} where t.id = $1`, [id]);
  return rows[0] ? tokenFromRow(rows[0]) : undefined;
}

/** The user's columns next to its token's in `useApiToken` (prefixed: both tables have `created_at`). */
interface TokenUserColumns {
  u_source: UserRecordRow['source'];
  u_disabled: UserRecordRow['disabled'];
  u_must_change: UserRecordRow['must_change_password'];
  u_created_at: UserRecordRow['created_at'];
  u_updated_at: UserRecordRow['updated_at'];
  u_password_changed_at: UserRecordRow['password_changed_at'];
  u_roles: UserRecordRow['roles'];
}

/**
 * The live token (not revoked, not expired, user enabled) with this secret hash and its user.
 * Records the use at most once a minute (so a busy CI token does not write on every request).
 */
export async function useApiToken(db: Queryable, tokenHash: string): Promise<{ token: ApiTokenRecord; user: UserRecord } | undefined> {
  // One round trip: the token, its user and the user's role bindings.
  const { rows } = await db.query<TokenRow & TokenUserColumns>(
    `select t.*, u.username, u.source as u_source, u.disabled as u_disabled, u.must_change_password as u_must_change, u.created_at as u_created_at,
       u.updated_at as u_updated_at, u.password_changed_at as u_password_changed_at, ${ROLES_OF_USER} as u_roles
     from api_tokens t join users u on u.id = t.user_id
     where t.token_hash = $1 and t.revoked_at is null and (t.expires_at is null or t.expires_at > now()) and not u.disabled`,
    [tokenHash],
  );
  const r = rows[0];
  if (!r) return undefined;
  const token = tokenFromRow(r);
  if (token.lastUsedAt === null || token.lastUsedAt < Date.now() - 60_000) {
    await db.query('update api_tokens set last_used_at = now() where id = $1', [token.id]);
  }
  const user = userFromRow({
    id: r.user_id,
    username: r.username,
    source: r.u_source,
    disabled: r.u_disabled,
    must_change_password: r.u_must_change,
    created_at: r.u_created_at,
    updated_at: r.u_updated_at,
    password_changed_at: r.u_password_changed_at,
    roles: r.u_roles,
  });
  return { token, user };
}

/** Tokens of one user (all users when `userId` is undefined), newest first; revoked ones only when asked. */
export async function listApiTokens(db: Queryable, q: { userId?: number; includeRevoked?: boolean } = {}): Promise<ApiTokenRecord[]> {
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.userId !== undefined) where.push(`t.user_id = $${args.push(q.userId)}`);
  if (!q.includeRevoked) where.push('t.revoked_at is null');
  const { rows } = await db.query<TokenRow>(`${TOKEN_SELECT} ${where.length ? `where ${where.join(' and ')}` : ''} order by t.id desc`, args);
  return rows.map(tokenFromRow);
}

/** Revokes a token (of `userId` only, when given). Throws NOT_FOUND. Idempotent for a revoked token. */
export async function revokeApiToken(db: Queryable, id: number, userId?: number): Promise<ApiTokenRecord> {
  const { rows } = await db.query<Pick<ApiTokensRow, 'id'>>(
    `update api_tokens set revoked_at = coalesce(revoked_at, now()) where id = $1 ${userId !== undefined ? 'and user_id = $2' : ''} returning id`,
    userId !== undefined ? [id, userId] : [id],
  );
  if (!rows[0]) throw new KontrolerError('NOT_FOUND', `token ${id} not found`);
  await db.query('select pg_notify($1, $2)', [AUTH_CHANNEL, '']);
  return (await getApiToken(db, id))!;
}
