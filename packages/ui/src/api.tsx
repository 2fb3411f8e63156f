// The one typed API client the UI uses (same origin, session cookie + CSRF header on writes),
// and small hooks around it. Every network call of the UI goes through `useApi()`.
import { createContext, useContext, type ReactNode } from 'react';
import { ApiError, KontrolerClient } from '@kontroler/client';
import { messageOf } from '@kontroler/core';

const CSRF_COOKIE = 'kontroler_csrf';

function csrfToken(): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === CSRF_COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** A client for the server this page was loaded from (or `baseUrl` when hosted elsewhere). */
export function createApi(baseUrl = window.location.origin): KontrolerClient {
  return new KontrolerClient({
    baseUrl,
    // Writes with the session cookie must echo the CSRF token the server set at sign-in.
    headers: () => {
      const t = csrfToken();
      const h: Record<string, string> = {};
      if (t) h['x-csrf-token'] = t;
      return h;
    },
    fetch: (input, init) => fetch(input, { ...init, credentials: 'same-origin' }),
  });
}

const ApiContext = createContext<KontrolerClient | null>(null);

export function ApiProvider({ client, children }: { client: KontrolerClient; children: ReactNode }) {
  return <ApiContext.Provider value={client}>{children}</ApiContext.Provider>;
}

export function useApi(): KontrolerClient {
  const c = useContext(ApiContext);
  if (!c) throw new Error('useApi outside ApiProvider');
  return c;
}

/**
 * Whether a failed read is worth trying again: network failures and server errors (5xx, 0), not
 * an answer that will not change (401, 403, 404 and the other 4xx).
 */
export function isRetryable(e: unknown): boolean {
  const status = e instanceof ApiError ? e.status : typeof e === 'object' && e !== null ? (e as { status?: unknown }).status : undefined;
  return typeof status !== 'number' || status === 0 || status === 429 || status >= 500;
}

export function isUnauthenticated(e: unknown): boolean {
  return e instanceof ApiError ? e.status === 401 : typeof e === 'object' && e !== null && (e as { status?: number }).status === 401;
}

/** A user-facing sentence for an error: the server's message, field details appended. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    const details = e.details.slice(0, 5).map((d) => `${d.path}: ${d.message}`);
    return [e.message, ...details].join('\n');
  }
  return messageOf(e);
}

export { ApiError };
