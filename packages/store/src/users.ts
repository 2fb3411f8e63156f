// Users, their role bindings and login sessions. Password hashing happens in the server: the store
// only keeps the hash it is given.
import { KontrolerError } from '@kontroler/core';
import type { PoolLike, Queryable } from './db.js';
import { transaction } from './db.js';
import { ms } from './records.js';
import type { SessionsRow, UsersRow } from './rows/auth.js';
import { USER_SELECT, userFromRow, type UserSelectRow } from './user-select.js';

export type Role = 'viewer' | 'editor' | 'admin';

/**
 * NOTIFY channel raised whenever credentials or roles change (revocation, password, roles,
 * disable, delete): servers drop their cached sign-ins at once.
 */
export const AUTH_CHANNEL = 'kontroler_auth';

/** Raises AUTH_CHANNEL: every server drops its cached sign-ins. */
export async function authChanged(db: Queryable): Promise<void> {
  await db.query('select pg_notify($1, $2)', [AUTH_CHANNEL, '']);
}
export const ROLES: readonly Role[] = ['viewer', 'editor', 'admin'];

/** A role in one namespace; namespace `*` means every namespace. */
export interface RoleBinding {
  namespace: string;
  role: Role;
}

/** Where a user's identity lives: a local password, or an OpenID Connect provider (no password). */
export type UserSource = 'local' | 'oidc';

export interface UserRecord {
  id: number;
  username: string;
  source: UserSource;
  disabled: boolean;
  mustChangePassword: boolean;
  roles: RoleBinding[];
  createdAt: number;
  updatedAt: number;
  passwordChangedAt: number;
}

/**
 * Creates a user with its role bindings. Throws ALREADY_EXISTS when the username is taken.
 * Not idempotent.
 */
export async function createUser(
  pool: PoolLike,
  input: { username: string; passwordHash: string; roles: readonly RoleBinding[]; mustChangePassword?: boolean },
): Promise<UserRecord> {
  return transaction(pool, async (tx) => {
    const ins = await tx.query<Pick<UsersRow, 'id'>>(
      `insert into users (username, password_hash, must_change_password) values ($1, $2, $3)
       on conflict (username) do nothing returning id`,
      [input.username, input.passwordHash, input.mustChangePassword ?? false],
    );
    const id = ins.rows[0]?.id;
    if (id === undefined) throw new KontrolerError('ALREADY_EXISTS', `user ${input.username} already exists`);
    await writeBindings(tx, id, input.roles);
    return (await getUserById(tx, id))!;
  });
}

async function writeBindings(tx: Queryable, userId: number, roles: readonly RoleBinding[]): Promise<void> {
  await tx.query('delete from role_bindings where user_id = $1', [userId]);
  if (roles.length === 0) return;
  await tx.query(
    'insert into role_bindings (user_id, namespace, role) select $1, * from unnest($2::text[], $3::text[]) on conflict (user_id, namespace) do update set role = excluded.role',
    [userId, roles.map((r) => r.namespace), roles.map((r) => r.role)],
  );
}

/** Replaces a user's role bindings. Throws NOT_FOUND. Idempotent. */
export async function setUserRoles(pool: PoolLike, username: string, roles: readonly RoleBinding[]): Promise<UserRecord> {
  return transaction(pool, async (tx) => {
    const u = await getUser(tx, username);
    if (!u) throw new KontrolerError('NOT_FOUND', `user ${username} not found`);
    await writeBindings(tx, u.id, roles);
    await authChanged(tx);
    return (await getUserById(tx, u.id))!;
  });
}

export async function getUser(db: Queryable, username: string): Promise<UserRecord | undefined> {
  const { rows } = await db.query<UserSelectRow>(`${USER_SELECT} where u.username = $1`, [username]);
  return rows[0] ? userFromRow(rows[0]) : undefined;
}

export async function getUserById(db: Queryable, id: number): Promise<UserRecord | undefined> {
  const { rows } = await db.query<UserSelectRow>(`${USER_SELECT} where u.id = $1`, [id]);
  return rows[0] ? userFromRow(rows[0]) : undefined;
}

/** The user and its password hash (undefined for single sign-on users), for checking a login. */
export async function getUserCredentials(db: Queryable, username: string): Promise<{ user: UserRecord; passwordHash: string | undefined } | undefined> {
  const { rows } = await db.query<UserSelectRow>(`${USER_SELECT} where u.username = $1`, [username]);
  const r = rows[0];
  return r ? { user: userFromRow(r), passwordHash: r.password_hash ?? undefined } : undefined;
}

export async function listUsers(db: Queryable): Promise<UserRecord[]> {
  const { rows } = await db.query<UserSelectRow>(`${USER_SELECT} order by u.username`);
  return rows.map(userFromRow);
}

export async function countUsers(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>('select count(*)::int as n from users');
  return rows[0]?.n ?? 0;
}

/**
 * Sets a new password hash and revokes every session of the user (API tokens stay: they are
 * revoked on their own). Throws NOT_FOUND.
 */
export async function setUserPassword(pool: PoolLike, username: string, passwordHash: string, mustChange = false): Promise<UserRecord> {
  return transaction(pool, async (tx) => {
    const { rows } = await tx.query<Pick<UsersRow, 'id'>>(
      `update users set password_hash = $2, must_change_password = $3, password_changed_at = now(), updated_at = now()
       where username = $1 returning id`,
      [username, passwordHash, mustChange],
    );
    const id = rows[0]?.id;
    if (id === undefined) throw new KontrolerError('NOT_FOUND', `user ${username} not found`);
    await tx.query('update sessions set revoked_at = now() where user_id = $1 and revoked_at is null', [id]);
    await authChanged(tx);
    return (await getUserById(tx, id))!;
  });
}

/** Disables or enables a user; disabling revokes its sessions. Throws NOT_FOUND. */
export async function setUserDisabled(pool: PoolLike, username: string, disabled: boolean): Promise<UserRecord> {
  return transaction(pool, async (tx) => {
    const { rows } = await tx.query<Pick<UsersRow, 'id'>>('update users set disabled = $2, updated_at = now() where username = $1 returning id', [username, disabled]);
    const id = rows[0]?.id;
    if (id === undefined) throw new KontrolerError('NOT_FOUND', `user ${username} not found`);
    if (disabled) await tx.query('update sessions set revoked_at = now() where user_id = $1 and revoked_at is null', [id]);
    await authChanged(tx);
    return (await getUserById(tx, id))!;
  });
}

/** Deletes a user with its sessions and tokens. Throws NOT_FOUND. */
export async function deleteUser(db: Queryable, username: string): Promise<void> {
  const res = await db.query('delete from users where username = $1', [username]);
  if (res.rowCount === 0) throw new KontrolerError('NOT_FOUND', `user ${username} not found`);
  await authChanged(db);
}

export interface SessionRecord {
  id: string;
  userId: number;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

export async function createSession(
  db: Queryable,
  input: { id: string; userId: number; expiresAt: number; address?: string; userAgent?: string },
): Promise<void> {
  await db.query('insert into sessions (id, user_id, expires_at, address, user_agent) values ($1, $2, $3, $4, $5)', [
    input.id,
    input.userId,
    new Date(input.expiresAt),
    input.address ?? null,
    input.userAgent?.slice(0, 500) ?? null,
  ]);
}

/** The session's columns next to its user's in `getLiveSession`. */
interface SessionColumns {
  s_id: SessionsRow['id'];
  s_created_at: SessionsRow['created_at'];
  s_expires_at: SessionsRow['expires_at'];
  s_revoked_at: SessionsRow['revoked_at'];
}

/** A live session (not revoked, not expired) of an enabled user, with the user; else undefined. */
export async function getLiveSession(db: Queryable, id: string): Promise<{ session: SessionRecord; user: UserRecord } | undefined> {
  const { rows } = await db.query<UserSelectRow & SessionColumns>(
    `select s.id as s_id, s.created_at as s_created_at, s.expires_at as s_expires_at, s.revoked_at as s_revoked_at, x.*
     from sessions s join lateral (${USER_SELECT} where u.id = s.user_id) x on true
     where s.id = $1 and s.revoked_at is null and s.expires_at > now() and not x.disabled`,
    [id],
  );
  const r = rows[0];
  if (!r) return undefined;
  const user = userFromRow(r);
  return {
    session: { id: r.s_id, userId: user.id, createdAt: ms(r.s_created_at) ?? 0, expiresAt: ms(r.s_expires_at) ?? 0, revokedAt: null },
    user,
  };
}

/** Moves a session's expiry (refresh). False when the session is no longer live. */
/** (Extending needs no notification: a cached sign-in is only ever shorter-lived.) */
export async function extendSession(db: Queryable, id: string, expiresAt: number): Promise<boolean> {
  const res = await db.query('update sessions set expires_at = $2 where id = $1 and revoked_at is null and expires_at > now()', [id, new Date(expiresAt)]);
  return (res.rowCount ?? 0) > 0;
}

/** Revokes one session. Idempotent. */
export async function revokeSession(db: Queryable, id: string): Promise<void> {
  await db.query('update sessions set revoked_at = now() where id = $1 and revoked_at is null', [id]);
  await authChanged(db);
}

/** Revokes every live session of a user, except `keep`. Returns how many. */
export async function revokeUserSessions(db: Queryable, userId: number, keep?: string): Promise<number> {
  const res = await db.query('update sessions set revoked_at = now() where user_id = $1 and revoked_at is null and id <> $2', [userId, keep ?? '']);
  await authChanged(db);
  return res.rowCount ?? 0;
}

/** Deletes sessions that ended more than `olderThanMs` ago. */
export async function pruneSessions(db: Queryable, olderThanMs: number): Promise<number> {
  const res = await db.query(`delete from sessions where expires_at < now() - ($1 || ' milliseconds')::interval`, [String(olderThanMs)]);
  return res.rowCount ?? 0;
}
