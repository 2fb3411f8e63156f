// Single sign-on and workload identity settings from KONTROLER_* environment variables (documented
// in the README, "Single sign-on and workload identity"). Parsed once at start-up; a mistake stops
// the process with the variable's name, never a half-configured sign-in.
import { existsSync, readFileSync } from 'node:fs';
import type { OidcConfig, ServerConfig, WorkloadIdentityConfig } from '@kontroler/server/config';
import { oidcConfig, workloadIdentityConfig } from '@kontroler/server/config';
import { parseClaimRoleMap, parseServiceAccountRoleMap } from '@kontroler/server/role-map';
import type { TokenReviewer } from '@kontroler/server/token-review';

const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

function bool(name: string, v: string | undefined): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new Error(`${name} must be true or false, not ${JSON.stringify(v)}`);
}

function list(v: string | undefined): string[] | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  return v.split(/[\s,]+/).filter(Boolean);
}

function positive(name: string, v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number of seconds, not ${JSON.stringify(v)}`);
  return n;
}

function file(name: string, path: string | undefined): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`${name}: cannot read ${path}: ${(e as Error).message}`);
  }
}

/** A role map given inline (JSON starting with `[`) or as the path of a JSON file. */
function roleMapText(name: string, v: string): { text: string; source: string } {
  const t = v.trim();
  if (t.startsWith('[')) return { text: t, source: name };
  try {
    return { text: readFileSync(t, 'utf8'), source: `${name} (${t})` };
  } catch (e) {
    throw new Error(`${name} is neither JSON (starting with [) nor a readable file: ${(e as Error).message}`);
  }
}

function oidcFrom(env: NodeJS.ProcessEnv): OidcConfig | undefined {
  const issuer = env.KONTROLER_OIDC_ISSUER;
  if (!issuer) {
    const stray = Object.keys(env).find((k) => k.startsWith('KONTROLER_OIDC_') && env[k]);
    if (stray) throw new Error(`${stray} is set but KONTROLER_OIDC_ISSUER is not: set the issuer URL to turn single sign-on on`);
    return undefined;
  }
  const need = (k: string): string => {
    const v = env[k];
    if (!v) throw new Error(`single sign-on needs ${k} (KONTROLER_OIDC_ISSUER is set)`);
    return v;
  };
  const map = roleMapText('KONTROLER_OIDC_ROLE_MAP', need('KONTROLER_OIDC_ROLE_MAP'));
  const secretFile = env.KONTROLER_OIDC_CLIENT_SECRET_FILE;
  const secret = env.KONTROLER_OIDC_CLIENT_SECRET ?? (secretFile ? file('KONTROLER_OIDC_CLIENT_SECRET_FILE', secretFile)!.toString('utf8').trim() : undefined);
  const tolerance = positive('KONTROLER_OIDC_CLOCK_SKEW_SECONDS', env.KONTROLER_OIDC_CLOCK_SKEW_SECONDS);
  const ca = file('KONTROLER_OIDC_CA_FILE', env.KONTROLER_OIDC_CA_FILE);
  const scopes = list(env.KONTROLER_OIDC_SCOPES);
  const algorithms = list(env.KONTROLER_OIDC_ALGORITHMS);
  const audiences = list(env.KONTROLER_OIDC_AUDIENCES);
  const acceptBearer = bool('KONTROLER_OIDC_ACCEPT_BEARER', env.KONTROLER_OIDC_ACCEPT_BEARER);
  return oidcConfig({
    issuer,
    clientId: need('KONTROLER_OIDC_CLIENT_ID'),
    redirectUrl: need('KONTROLER_OIDC_REDIRECT_URL'),
    roleMap: parseClaimRoleMap(map.text, map.source),
    ...(secret ? { clientSecret: secret } : {}),
    ...(scopes ? { scopes } : {}),
    ...(algorithms ? { algorithms } : {}),
    ...(audiences ? { audiences } : {}),
    ...(acceptBearer !== undefined ? { acceptBearer } : {}),
    ...(env.KONTROLER_OIDC_USERNAME_CLAIM ? { usernameClaim: env.KONTROLER_OIDC_USERNAME_CLAIM } : {}),
    ...(env.KONTROLER_OIDC_NAME ? { displayName: env.KONTROLER_OIDC_NAME } : {}),
    ...(tolerance !== undefined ? { clockToleranceSeconds: tolerance } : {}),
    ...(ca ? { ca } : {}),
  });
}

/**
 * Asks the cluster through TokenReview, with the client built on first use (the Kubernetes client
 * library is loaded only then): KUBECONFIG / ~/.kube/config, or the in-cluster service account.
 */
export function lazyKubeTokenReviewer(kubeconfig: string | undefined): TokenReviewer {
  let ready: Promise<TokenReviewer> | undefined;
  return {
    async review(token, audiences) {
      ready ??= (async () => {
        const k8s = await import('@kubernetes/client-node');
        const { kubeTokenReviewer } = await import('@kontroler/server/token-review');
        const kc = new k8s.KubeConfig();
        if (kubeconfig) kc.loadFromFile(kubeconfig);
        else kc.loadFromDefault();
        return kubeTokenReviewer(kc.makeApiClient(k8s.AuthenticationV1Api));
      })().catch((e: unknown) => {
        ready = undefined;
        throw e;
      });
      return (await ready).review(token, audiences);
    },
  };
}

function workloadFrom(env: NodeJS.ProcessEnv): WorkloadIdentityConfig | undefined {
  const issuer = env.KONTROLER_K8S_ISSUER;
  if (!issuer) {
    if (env.KONTROLER_SA_ROLE_MAP) throw new Error('KONTROLER_SA_ROLE_MAP is set but KONTROLER_K8S_ISSUER is not: set the cluster\'s service account issuer to accept workload tokens');
    return undefined;
  }
  if (!env.KONTROLER_SA_ROLE_MAP) throw new Error('workload identity needs KONTROLER_SA_ROLE_MAP (KONTROLER_K8S_ISSUER is set)');
  const map = roleMapText('KONTROLER_SA_ROLE_MAP', env.KONTROLER_SA_ROLE_MAP);
  const ca = file('KONTROLER_K8S_CA_FILE', env.KONTROLER_K8S_CA_FILE);
  // Discovery and JWKS need a credential on most clusters: a token file, the pod's own token in-cluster.
  const tokenFile = env.KONTROLER_K8S_DISCOVERY_TOKEN_FILE ?? (existsSync(IN_CLUSTER_TOKEN) ? IN_CLUSTER_TOKEN : undefined);
  const tolerance = positive('KONTROLER_K8S_CLOCK_SKEW_SECONDS', env.KONTROLER_K8S_CLOCK_SKEW_SECONDS);
  const review = bool('KONTROLER_K8S_TOKENREVIEW', env.KONTROLER_K8S_TOKENREVIEW);
  return workloadIdentityConfig({
    issuer,
    roleMap: parseServiceAccountRoleMap(map.text, map.source),
    ...(env.KONTROLER_K8S_AUDIENCE ? { audience: env.KONTROLER_K8S_AUDIENCE } : {}),
    ...(env.KONTROLER_K8S_JWKS_URI ? { jwksUri: env.KONTROLER_K8S_JWKS_URI } : {}),
    ...(ca ? { ca } : {}),
    ...(tokenFile ? { discoveryToken: () => readFileSync(tokenFile, 'utf8').trim() } : {}),
    ...(tolerance !== undefined ? { clockToleranceSeconds: tolerance } : {}),
    ...(review ? { tokenReviewer: lazyKubeTokenReviewer(env.KONTROLER_K8S_KUBECONFIG ?? env.KUBECONFIG) } : {}),
  });
}

/** The identity part of the server config: password switch, single sign-on, workload identity. */
export function identityConfigFrom(env: NodeJS.ProcessEnv): Pick<Partial<ServerConfig>, 'passwordLogin' | 'oidc' | 'workloadIdentity'> {
  const passwordLogin = bool('KONTROLER_PASSWORD_LOGIN', env.KONTROLER_PASSWORD_LOGIN);
  const oidc = oidcFrom(env);
  const workloadIdentity = workloadFrom(env);
  if (passwordLogin === false && !oidc) {
    throw new Error('KONTROLER_PASSWORD_LOGIN=false leaves nobody able to sign in: configure single sign-on (KONTROLER_OIDC_ISSUER, ...) too');
  }
  return {
    ...(passwordLogin !== undefined ? { passwordLogin } : {}),
    ...(oidc ? { oidc } : {}),
    ...(workloadIdentity ? { workloadIdentity } : {}),
  };
}
