// Who is signed in. The session lives in the server's HttpOnly cookie; the UI only asks
// `GET /auth/me`. Any 401 from the API (expired or revoked session) sends the user to the sign-in
// page with a note, keeping the page they were on to return to afterwards. While signed in, the
// session is extended every 10 minutes the tab is visible.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { Me } from '@kontroler/client';
import { isUnauthenticated, useApi } from '../../api.js';

interface Session {
  me: Me | undefined;
  loading: boolean;
  /** Set when a signed-in session stopped working (expired, revoked). */
  expired: boolean;
  signIn(username: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  isAdmin: boolean;
  canEdit(namespace?: string): boolean;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children, onExpired }: { children: ReactNode; onExpired: (register: () => void) => void }) {
  const api = useApi();
  const qc = useQueryClient();
  const [expired, setExpired] = useState(false);
  const me = useQuery({
    queryKey: ['me'],
    queryFn: async () => {
      try {
        return await api.me();
      } catch (e) {
        if (isUnauthenticated(e)) return null;
        throw e;
      }
    },
    staleTime: 60_000,
    retry: 1,
  });

  // The query cache calls this on any 401: the session is gone.
  useEffect(() => {
    onExpired(() => {
      if (qc.getQueryData(['me'])) {
        setExpired(true);
        qc.setQueryData(['me'], null);
      }
    });
  }, [onExpired, qc]);

  const signedIn = Boolean(me.data);
  useEffect(() => {
    if (!signedIn) return;
    const t = setInterval(() => {
      if (document.visibilityState === 'visible') void api.refresh().catch(() => undefined);
    }, 600_000);
    return () => clearInterval(t);
  }, [signedIn, api]);

  const signIn = useCallback(
    async (username: string, password: string) => {
      await api.login(username, password);
      // The cookie carries the session from here on (and across reloads): no token in memory.
      api.token = undefined;
      setExpired(false);
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' });
      await qc.invalidateQueries({ queryKey: ['me'] });
    },
    [api, qc],
  );
  const signOut = useCallback(async () => {
    await api.logout().catch(() => undefined);
    qc.clear();
    qc.setQueryData(['me'], null);
  }, [api, qc]);

  const value = useMemo<Session>(() => {
    const roles = me.data?.roles ?? [];
    const rank = { viewer: 0, editor: 1, admin: 2 } as const;
    return {
      me: me.data ?? undefined,
      loading: me.isLoading,
      expired,
      signIn,
      signOut,
      isAdmin: roles.some((r) => r.namespace === '*' && r.role === 'admin'),
      canEdit: (ns) => roles.some((r) => (r.namespace === '*' || ns === undefined || r.namespace === ns) && rank[r.role] >= 1),
    };
  }, [me.data, me.isLoading, expired, signIn, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
