// Workload identity: a Kubernetes service account token (projected, audience `kontroler`) as a
// Bearer credential. Verified locally against the cluster issuer's JWKS (issuer, audience, expiry,
// not-before, algorithm), then, when configured, confirmed by the cluster (TokenReview), which also
// refuses tokens of a deleted service account or pod. The service account maps to roles by rules.
import type { RoleBinding } from '@kontroler/store';
import type { WorkloadIdentityConfig } from '../config.js';
import { outboundFetch } from './outbound-fetch.js';
import { JwtRejected, RemoteJwtVerifier, issuerVerifierOptions } from './remote-jwt.js';
import { bindingsForServiceAccount } from './role-map.js';

export interface WorkloadPrincipal {
  /** `system:serviceaccount:<namespace>:<name>` */
  subject: string;
  namespace: string;
  name: string;
  /** The service account's uid, as signed into the token. */
  uid: string;
  /** The pod the token is bound to, when it is a pod's projected token. */
  pod?: string;
  bindings: RoleBinding[];
  /** Token expiry (ms). */
  expiresAt: number;
}

const SUBJECT = /^system:serviceaccount:([a-z0-9]([-a-z0-9]*[a-z0-9])?):([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/;

interface KubernetesClaim {
  namespace?: unknown;
  serviceaccount?: { name?: unknown; uid?: unknown };
  pod?: { name?: unknown; uid?: unknown };
}

export class WorkloadIdentity {
  private readonly verifier: RemoteJwtVerifier;

  constructor(private readonly cfg: WorkloadIdentityConfig) {
    const fetch = outboundFetch({ ...(cfg.ca !== undefined ? { ca: cfg.ca } : {}), ...(cfg.discoveryToken ? { token: cfg.discoveryToken } : {}) });
    this.verifier = new RemoteJwtVerifier({ ...issuerVerifierOptions(cfg, [cfg.audience], fetch), ...(cfg.jwksUri ? { jwksUri: cfg.jwksUri } : {}) });
  }

  get issuer(): string {
    return this.cfg.issuer;
  }

  /** The service account behind `jwt`, or throws JwtRejected with the reason. */
  async verify(jwt: string): Promise<WorkloadPrincipal> {
    const claims = await this.verifier.verify(jwt);
    const m = SUBJECT.exec(String(claims.sub));
    if (!m) throw new JwtRejected(`subject ${JSON.stringify(claims.sub)} is not a service account`);
    const namespace = m[1]!;
    const name = m[3]!;
    const k = (claims['kubernetes.io'] ?? {}) as KubernetesClaim;
    if (k.namespace !== namespace || k.serviceaccount?.name !== name || typeof k.serviceaccount.uid !== 'string') {
      throw new JwtRejected('the kubernetes.io claim does not name the subject\'s service account');
    }
    const uid = k.serviceaccount.uid;
    if (this.cfg.tokenReviewer) {
      let review;
      try {
        review = await this.cfg.tokenReviewer.review(jwt, [this.cfg.audience]);
      } catch (e) {
        throw new JwtRejected(`TokenReview failed: ${(e as Error).message}`, true);
      }
      if (!review.authenticated) throw new JwtRejected(`the cluster refused the token (TokenReview): ${review.error ?? 'not authenticated'}`);
      if (review.username !== claims.sub) throw new JwtRejected(`TokenReview names ${String(review.username)}, the token ${String(claims.sub)}`);
      if (review.uid !== undefined && review.uid !== uid) throw new JwtRejected('TokenReview names another service account uid');
    }
    return {
      subject: String(claims.sub),
      namespace,
      name,
      uid,
      ...(typeof k.pod?.name === 'string' ? { pod: k.pod.name } : {}),
      bindings: bindingsForServiceAccount(this.cfg.roleMap, namespace, name),
      expiresAt: Number(claims.exp) * 1000,
    };
  }
}
