// Roles viewer < editor < admin, granted per namespace or for every namespace (`*`), and what a
// route requires. The route table declares an Access for every route; nothing is implicit.
import type { Role, RoleBinding } from '@kontroler/store';

export const ALL_NAMESPACES = '*';

const RANK: Readonly<Record<Role, number>> = { viewer: 1, editor: 2, admin: 3 };

export function roleAtLeast(have: Role | undefined, need: Role): boolean {
  return have !== undefined && RANK[have] >= RANK[need];
}

export function minRole(a: Role, b: Role): Role {
  return RANK[a] <= RANK[b] ? a : b;
}

/**
 * Who is calling, as the auth step found them: a user (password or single sign-on session, or an
 * identity provider's ID token), an API token of a user, or a workload (a Kubernetes service
 * account token; no user row: `userId` 0, `username` = `system:serviceaccount:<ns>:<name>`).
 */
export interface Principal {
  kind: 'user' | 'token' | 'workload';
  userId: number;
  username: string;
  /** Effective bindings: for a token, its scope capped by its user's own roles. */
  bindings: RoleBinding[];
  /** How the credential came: a bearer header or the UI's session cookie (CSRF applies). */
  via: 'bearer' | 'cookie';
  sessionId?: string;
  tokenId?: number;
  tokenName?: string;
  /** A workload's pod, when its token is bound to one. */
  pod?: string;
}

/** The strongest role the principal has in `namespace` (`*` bindings included). */
export function roleIn(p: Principal, namespace: string): Role | undefined {
  let best: Role | undefined;
  for (const b of p.bindings) {
    if (b.namespace !== namespace && b.namespace !== ALL_NAMESPACES) continue;
    if (best === undefined || RANK[b.role] > RANK[best]) best = b.role;
  }
  return best;
}

/** The role granted for every namespace (a `*` binding), if any. */
export function globalRole(p: Principal): Role | undefined {
  return p.bindings.find((b) => b.namespace === ALL_NAMESPACES)?.role;
}

/**
 * The namespaces where the principal has at least `role`: undefined means every namespace (a `*`
 * binding), an empty list means none.
 */
export function namespacesWith(p: Principal, role: Role): string[] | undefined {
  if (roleAtLeast(globalRole(p), role)) return undefined;
  return p.bindings.filter((b) => b.namespace !== ALL_NAMESPACES && roleAtLeast(b.role, role)).map((b) => b.namespace);
}

/**
 * A token's effective bindings: in each namespace of its scope, the lower of the token's role and
 * its user's role there. A token never grants more than its user has now.
 */
export function tokenBindings(userBindings: readonly RoleBinding[], tokenRole: Role, tokenNamespaces: readonly string[]): RoleBinding[] {
  const user: Principal = { kind: 'user', userId: 0, username: '', bindings: [...userBindings], via: 'bearer' };
  const out: RoleBinding[] = [];
  if (tokenNamespaces.includes(ALL_NAMESPACES)) {
    for (const b of userBindings) out.push({ namespace: b.namespace, role: minRole(b.role, tokenRole) });
    return out;
  }
  for (const ns of tokenNamespaces) {
    const r = roleIn(user, ns);
    if (r) out.push({ namespace: ns, role: minRole(r, tokenRole) });
  }
  return out;
}

/**
 * What a route requires. `public`: nothing. `signed`: an HMAC signature checked by the handler
 * (inbound triggers). `authenticated`: any valid credential. `namespace`: `role` in the `ns` path
 * parameter's namespace. `run`: `role` in the namespace of the run named by the `id` path
 * parameter. `any-namespace`: `role` somewhere; the handler filters by `namespacesWith`.
 * `global`: `role` on every namespace (a `*` binding).
 */
export type Access =
  | { kind: 'public' }
  | { kind: 'signed' }
  | { kind: 'authenticated' }
  | { kind: 'namespace'; role: Role }
  | { kind: 'run'; role: Role }
  | { kind: 'any-namespace'; role: Role }
  | { kind: 'global'; role: Role };

export function describeAccess(a: Access): string {
  switch (a.kind) {
    case 'public':
      return 'public';
    case 'signed':
      return 'HMAC-signed request (the DAG trigger secret)';
    case 'authenticated':
      return 'any signed-in user or token';
    case 'namespace':
      return `${a.role} in the namespace`;
    case 'run':
      return `${a.role} in the run's namespace`;
    case 'any-namespace':
      return `${a.role} in some namespace (results are filtered)`;
    case 'global':
      return `${a.role} in all namespaces`;
  }
}
