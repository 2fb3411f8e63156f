// Users who sign in through an OpenID Connect provider, and the one-time hand-off of a session to
// the CLI (`kontroler login --sso`). Such a user is identified by (issuer, subject), has no
// password, and its role bindings are whatever the provider's claims map to at its last sign-in.
import { KontrolerError } from '@kontroler/core';
import type { PoolLike, Queryable } from './db.js';
import { transaction } from './db.js';
import { ms } from './records.js';
import type { LoginHandoffsRow, UsersRow } from './rows/auth.js';
import type { RoleBinding, UserRecord } from './users.js';
import { authChanged, getUserById } from './users.js';

function nameTaken(username: string, cause?: unknown): KontrolerError {
  return new KontrolerError('ALREADY_EXISTS', `the username ${username} belongs to another account: an admin must rename or delete it`, cause ? { cause } : {});
}

function sameBindings(a: readonly RoleBinding[], b: readonly RoleBinding[]): boolean {
  const key = (x: readonly RoleBinding[]) => x.map((r) => `${r.namespace}\u0000${r.role}`).sort().join('\u0001');
  return key(a) === key(b);
}

/**
 * Creates or updates the user of an external identity (issuer + subject) and replaces its role
 * bindings with `roles`. The username follows the provider (it may change between sign-ins).
 * Idempotent. Raises AUTH_CHANNEL only when the bindings or the username changed, so repeated
 * sign-ins do not flush every server's credential cache.
 *
 * Throws ALREADY_EXISTS when `username` belongs to another user (a local account or another
 * identity): the caller refuses the sign-in rather than merging two people.
 */
export async function upsertExternalUser(
  pool: PoolLike,
  input: { issuer: string; subject: string; username: string; roles: readonly RoleBinding[] },
): Promise<UserRecord> {
  return transaction(pool, async (tx) => {
    const found = await tx.query<Pick<UsersRow, 'id' | 'username'>>(
      `select id, username from users where external_issuer = $1 and external_subject = $2 for update`,
      [input.issuer, input.subject],
    );
    let id: number;
    let renamed = false;
    try {
      if (found.rows[0]) {
        id = found.rows[0].id;
        if (found.rows[0].username !== input.username) {
          await tx.query('update users set username = $2, updated_at = now() where id = $1', [id, input.username]);
          renamed = true;
        }
      } else {
        const ins = await tx.query<Pick<UsersRow, 'id'>>(
          `insert into users (username, password_hash, source, external_issuer, external_subject)
           values ($1, null, 'oidc', $2, $3) on conflict (username) do nothing returning id`,
          [input.username, input.issuer, input.subject],
        );
        if (!ins.rows[0]) throw nameTaken(input.username);
        id = ins.rows[0].id;
      }
    } catch (e) {
      if ((e as { code?: string }).code === '23505') throw nameTaken(input.username, e);
      throw e;
    }
    const before = (await getUserById(tx, id))!;
    if (!sameBindings(before.roles, input.roles)) {
      await tx.query('delete from role_bindings where user_id = $1', [id]);
      if (input.roles.length > 0) {
        await tx.query('insert into role_bindings (user_id, namespace, role) select $1, * from unnest($2::text[], $3::text[])', [
          id,
          input.roles.map((r) => r.namespace),
          input.roles.map((r) => r.role),
        ]);
      }
      await authChanged(tx);
    } else if (renamed) {
      await authChanged(tx);
    }
    return (await getUserById(tx, id))!;
  });
}

/** The user of an external identity, if it has signed in before. */
export async function getExternalUser(db: Queryable, issuer: string, subject: string): Promise<UserRecord | undefined> {
  const { rows } = await db.query<Pick<UsersRow, 'id'>>('select id from users where external_issuer = $1 and external_subject = $2', [issuer, subject]);
  return rows[0] ? getUserById(db, rows[0].id) : undefined;
}

/** Stores a one-time code (its hash) that hands session `sessionId` to the CLI. Not idempotent. */
export async function createLoginHandoff(db: Queryable, input: { codeHash: string; sessionId: string; challenge: string; expiresAt: number }): Promise<void> {
  await db.query('insert into login_handoffs (code_hash, session_id, challenge, expires_at) values ($1, $2, $3, $4)', [
    input.codeHash,
    input.sessionId,
    input.challenge,
    new Date(input.expiresAt),
  ]);
}

/**
 * Redeems a one-time code: deletes it and returns its session and PKCE challenge, or undefined
 * when it is unknown, already used or expired. A code can be taken at most once, even by two
 * concurrent callers.
 */
export async function takeLoginHandoff(db: Queryable, codeHash: string): Promise<{ sessionId: string; challenge: string; expiresAt: number } | undefined> {
  const { rows } = await db.query<Pick<LoginHandoffsRow, 'session_id' | 'challenge' | 'expires_at'>>('delete from login_handoffs where code_hash = $1 returning session_id, challenge, expires_at', [codeHash]);
  const r = rows[0];
  if (!r) return undefined;
  const expiresAt = ms(r.expires_at) ?? 0;
  if (expiresAt <= Date.now()) return undefined;
  return { sessionId: r.session_id, challenge: r.challenge, expiresAt };
}

/** Deletes expired hand-off codes. */
export async function pruneLoginHandoffs(db: Queryable): Promise<number> {
  const res = await db.query('delete from login_handoffs where expires_at < now()');
  return res.rowCount ?? 0;
}
