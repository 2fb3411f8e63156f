import { ApiException } from '@kubernetes/client-node';

/** The HTTP status of a failed Kubernetes API call, or undefined for a transport error. */
export function httpStatusOf(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/**
 * The message of a thrown value (core's `messageOf`: this test agent depends on no Kontroler
 * package, so it keeps its own copy).
 */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The apiserver's own message (from the Status body) when there is one. */
export function kubeErrorMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = err.body;
    const parsed = typeof body === 'string' ? safeParse(body) : body;
    const message = (parsed as { message?: unknown } | null)?.message;
    return `HTTP ${err.code}: ${typeof message === 'string' ? message : String(body)}`;
  }
  return messageOf(err);
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}
