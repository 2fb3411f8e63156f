// Asking the cluster whether a service account token is still good (TokenReview). Unlike a
// signature check, kube-apiserver also refuses tokens whose service account (or bound pod or
// secret) was deleted, or recreated with another uid. The entry point builds the Kubernetes
// client; this package only declares the one call it needs.

export interface TokenReviewResult {
  authenticated: boolean;
  /** `system:serviceaccount:<namespace>:<name>` for a service account token. */
  username?: string;
  uid?: string;
  audiences?: string[];
  /** The apiserver's reason when not authenticated. */
  error?: string;
}

export interface TokenReviewer {
  /** Never throws for a refused token (authenticated: false); throws when the cluster cannot be asked. */
  review(token: string, audiences: readonly string[]): Promise<TokenReviewResult>;
}

/** The subset of `@kubernetes/client-node`'s AuthenticationV1Api used here. */
export interface TokenReviewApi {
  createTokenReview(param: {
    body: { apiVersion: string; kind: string; spec: { token: string; audiences?: string[] } };
  }): Promise<{ status?: { authenticated?: boolean; error?: string; audiences?: string[]; user?: { username?: string; uid?: string } } }>;
}

/** A TokenReviewer over the cluster's TokenReview API (needs `create tokenreviews`, e.g. ClusterRole system:auth-delegator). */
export function kubeTokenReviewer(api: TokenReviewApi): TokenReviewer {
  return {
    async review(token, audiences) {
      const res = await api.createTokenReview({
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: [...audiences] } },
      });
      const s = res.status ?? {};
      return {
        authenticated: s.authenticated === true,
        ...(s.user?.username !== undefined ? { username: s.user.username } : {}),
        ...(s.user?.uid !== undefined ? { uid: s.user.uid } : {}),
        ...(s.audiences ? { audiences: s.audiences } : {}),
        ...(s.error ? { error: s.error } : {}),
      };
    },
  };
}
