// The rows of the sign-in tables (migrations 2 and 3) as node-postgres returns them: see ../rows.ts
// for how each column type arrives.
import type { Role, UserSource } from '../users.js';

/** `users` (migrations 2, 3: source, external_issuer, external_subject; password_hash nullable). */
export interface UsersRow {
  id: number;
  username: string;
  /** Null for single sign-on users. */
  password_hash: string | null;
  disabled: boolean;
  must_change_password: boolean;
  created_at: Date;
  updated_at: Date;
  password_changed_at: Date;
  source: UserSource;
  external_issuer: string | null;
  external_subject: string | null;
}

/** `role_bindings` (migration 2). */
export interface RoleBindingsRow {
  user_id: number;
  namespace: string;
  role: Role;
}

/** `sessions` (migration 2). */
export interface SessionsRow {
  id: string;
  user_id: number;
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  address: string | null;
  user_agent: string | null;
}

/** `api_tokens` (migration 2). */
export interface ApiTokensRow {
  id: number;
  user_id: number;
  name: string;
  token_hash: string;
  prefix: string;
  role: Role;
  namespaces: string[];
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
}

/** `login_handoffs` (migration 3). */
export interface LoginHandoffsRow {
  code_hash: string;
  session_id: string;
  challenge: string;
  expires_at: Date;
  created_at: Date;
}
