// How a UserRecord is read: the users row with its role bindings aggregated in the same query, so
// every read of a user is one round trip (users.ts, tokens.ts, external-users.ts). Internal to the
// store (not exported by index.ts).
import { ms } from './records.js';
import type { UsersRow } from './rows/auth.js';
import type { RoleBinding, UserRecord } from './users.js';

/** The role bindings of the user `u.id` as a JSON array sorted by namespace ('[]' for none). */
export const ROLES_OF_USER = `coalesce((select json_agg(json_build_object('namespace', b.namespace, 'role', b.role) order by b.namespace)
  from role_bindings b where b.user_id = u.id), '[]')`;

/** Every column of `users u` with its bindings as `roles`; append a `where` on `u`. */
export const USER_SELECT = `select u.*, ${ROLES_OF_USER} as roles from users u`;

/** The columns a UserRecord is made of: users' own and the aggregated bindings. */
export type UserRecordRow = Pick<UsersRow, 'id' | 'username' | 'source' | 'disabled' | 'must_change_password' | 'created_at' | 'updated_at' | 'password_changed_at'> & {
  roles: RoleBinding[];
};

/** What USER_SELECT returns per user. */
export type UserSelectRow = UsersRow & { roles: RoleBinding[] };

/** The UserRecord of a row with its bindings (times as epoch ms). Pure. */
export function userFromRow(r: UserRecordRow): UserRecord {
  return {
    id: r.id,
    username: r.username,
    source: r.source,
    disabled: r.disabled,
    mustChangePassword: r.must_change_password,
    roles: r.roles,
    createdAt: ms(r.created_at) ?? 0,
    updatedAt: ms(r.updated_at) ?? 0,
    passwordChangedAt: ms(r.password_changed_at) ?? 0,
  };
}
