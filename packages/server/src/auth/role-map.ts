// Configuration-driven role mapping: identity provider claims (groups, email, ...) and Kubernetes
// service accounts → Kontroler roles per namespace. Pure functions; the entry point parses the
// rules from KONTROLER_OIDC_ROLE_MAP / KONTROLER_SA_ROLE_MAP (JSON text or a file) at start-up.
import type { Role, RoleBinding } from '@kontroler/store';

const ROLES: readonly Role[] = ['viewer', 'editor', 'admin'];
const RANK: Readonly<Record<Role, number>> = { viewer: 1, editor: 2, admin: 3 };
const NAMESPACE = /^(\*|[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)$/;
/** In a service account rule, the namespace of the service account itself. */
export const SA_NAMESPACE = '$namespace';

/**
 * Grants `role` in `namespace` (`*` = all) to whoever has claim `claim` (a dotted path for nested
 * claims, e.g. `realm_access.roles`) equal to `value`, or containing it when the claim is a list.
 * `value: "*"` matches any non-empty value.
 */
export interface ClaimRoleRule {
  claim: string;
  value: string;
  namespace: string;
  role: Role;
}

/**
 * Grants `role` in `namespace` to service account `serviceAccount`
 * (`system:serviceaccount:<namespace>:<name>`; `<name>` and `<namespace>` may be `*`).
 * `namespace: "$namespace"` means the service account's own namespace.
 */
export interface ServiceAccountRoleRule {
  serviceAccount: string;
  namespace: string;
  role: Role;
}

function claimAt(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.prototype.hasOwnProperty.call(claims, path)) return claims[path];
  let cur: unknown = claims;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function claimMatches(v: unknown, want: string): boolean {
  if (typeof v === 'string') return want === '*' ? v !== '' : v === want;
  if (typeof v === 'number' || typeof v === 'boolean') return want === '*' || String(v) === want;
  if (Array.isArray(v)) return v.some((x) => (typeof x === 'string' || typeof x === 'number') && (want === '*' || String(x) === want));
  return false;
}

/** Keeps the strongest role per namespace, drops what a `*` binding already grants, sorted by namespace. */
export function mergeBindings(bindings: readonly RoleBinding[]): RoleBinding[] {
  const best = new Map<string, Role>();
  for (const b of bindings) {
    const have = best.get(b.namespace);
    if (have === undefined || RANK[b.role] > RANK[have]) best.set(b.namespace, b.role);
  }
  const everywhere = best.get('*');
  if (everywhere !== undefined) for (const [ns, role] of best) if (ns !== '*' && RANK[role] <= RANK[everywhere]) best.delete(ns);
  return [...best].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([namespace, role]) => ({ namespace, role }));
}

/** The role bindings that `rules` grant to a holder of `claims` (empty: no access). */
export function bindingsForClaims(rules: readonly ClaimRoleRule[], claims: Readonly<Record<string, unknown>>): RoleBinding[] {
  return mergeBindings(rules.filter((r) => claimMatches(claimAt(claims, r.claim), r.value)).map((r) => ({ namespace: r.namespace, role: r.role })));
}

/** Whether any rule needs a claim that `claims` lacks (then the provider's userinfo may have it). */
export function missingClaims(rules: readonly ClaimRoleRule[], claims: Readonly<Record<string, unknown>>): boolean {
  return rules.some((r) => claimAt(claims, r.claim) === undefined);
}

/** The role bindings that `rules` grant to service account `name` in Kubernetes namespace `namespace`. */
export function bindingsForServiceAccount(rules: readonly ServiceAccountRoleRule[], namespace: string, name: string): RoleBinding[] {
  const out: RoleBinding[] = [];
  for (const r of rules) {
    const [, , ns, sa] = r.serviceAccount.split(':');
    if ((ns === '*' || ns === namespace) && (sa === '*' || sa === name)) out.push({ namespace: r.namespace === SA_NAMESPACE ? namespace : r.namespace, role: r.role });
  }
  return mergeBindings(out);
}

function fail(source: string, path: string, problem: string): never {
  throw new Error(`${source}${path}: ${problem}`);
}

function parseList(text: string, source: string): Record<string, unknown>[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    fail(source, '', `not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(v)) fail(source, '', 'must be a JSON list of rules');
  v.forEach((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) fail(source, `[${i}]`, 'must be an object');
  });
  return v as Record<string, unknown>[];
}

function checkRole(source: string, path: string, v: unknown): Role {
  if (typeof v !== 'string' || !ROLES.includes(v as Role)) fail(source, `${path}.role`, 'must be viewer, editor or admin');
  return v as Role;
}

function checkFields(source: string, path: string, r: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(r)) if (!allowed.includes(k)) fail(source, `${path}.${k}`, `unknown field (allowed: ${allowed.join(', ')})`);
}

/**
 * Parses claim rules from JSON text: `[{"claim":"groups","value":"platform","namespace":"*","role":"admin"}]`.
 * Throws an Error naming `source` and the bad field.
 */
export function parseClaimRoleMap(text: string, source = 'role map'): ClaimRoleRule[] {
  return parseList(text, source).map((r, i) => {
    const p = `[${i}]`;
    checkFields(source, p, r, ['claim', 'value', 'namespace', 'role']);
    if (typeof r.claim !== 'string' || r.claim === '') fail(source, `${p}.claim`, 'must be a claim name, e.g. "groups"');
    if (typeof r.value !== 'string' || r.value === '') fail(source, `${p}.value`, 'must be a non-empty string ("*" = any value)');
    if (typeof r.namespace !== 'string' || !NAMESPACE.test(r.namespace)) fail(source, `${p}.namespace`, 'must be a namespace name or "*"');
    return { claim: r.claim, value: r.value, namespace: r.namespace, role: checkRole(source, p, r.role) };
  });
}

const SA = /^system:serviceaccount:(\*|[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?):(\*|[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?)$/;

/**
 * Parses service account rules from JSON text:
 * `[{"serviceAccount":"system:serviceaccount:ci:runner","namespace":"ci","role":"editor"}]`.
 * Throws an Error naming `source` and the bad field.
 */
export function parseServiceAccountRoleMap(text: string, source = 'service account role map'): ServiceAccountRoleRule[] {
  return parseList(text, source).map((r, i) => {
    const p = `[${i}]`;
    checkFields(source, p, r, ['serviceAccount', 'namespace', 'role']);
    if (typeof r.serviceAccount !== 'string' || !SA.test(r.serviceAccount)) {
      fail(source, `${p}.serviceAccount`, 'must be system:serviceaccount:<namespace>:<name> (either may be *)');
    }
    if (typeof r.namespace !== 'string' || (r.namespace !== SA_NAMESPACE && !NAMESPACE.test(r.namespace))) {
      fail(source, `${p}.namespace`, `must be a namespace name, "*" or "${SA_NAMESPACE}"`);
    }
    return { serviceAccount: r.serviceAccount, namespace: r.namespace, role: checkRole(source, p, r.role) };
  });
}
