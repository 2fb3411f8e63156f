// Routes, providers and the sign-in gate. Heavy pages (graph canvas, editor, charts, admin) are
// split into their own chunks and loaded on first visit: the first page load stays small.
import { lazy, Suspense, useCallback, useMemo, useRef } from 'react';
import { Navigate, Route, RouterProvider, Routes, createBrowserRouter, useLocation } from 'react-router';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { ApiProvider, createApi, isRetryable, isUnauthenticated } from './api.js';
import { LoginPage } from './features/auth/login-page.js';
import { NoAccessPage } from './features/auth/no-access-page.js';
import { SessionProvider, useSession } from './features/auth/session.js';
import { Shell } from './features/shell/shell.js';
import { DagListPage } from './features/dags/dag-list-page.js';
import { RunListPage } from './features/runs/run-list-page.js';
import { Skeleton, ToastProvider } from './lib/ui.js';
import { useTitle } from './lib/use-title.js';

const RunDetailPage = lazy(() => import('./features/runs/run-detail-page.js').then((m) => ({ default: m.RunDetailPage })));
const DagDetailPage = lazy(() => import('./features/dags/dag-detail-page.js').then((m) => ({ default: m.DagDetailPage })));
const EditorPage = lazy(() => import('./features/editor/editor-page.js').then((m) => ({ default: m.EditorPage })));
const StatsPage = lazy(() => import('./features/stats/stats-page.js').then((m) => ({ default: m.StatsPage })));
const UsersPage = lazy(() => import('./features/admin/users-page.js').then((m) => ({ default: m.UsersPage })));
const TokensPage = lazy(() => import('./features/admin/tokens-page.js').then((m) => ({ default: m.TokensPage })));
const AuditPage = lazy(() => import('./features/admin/audit-page.js').then((m) => ({ default: m.AuditPage })));

function NotFound({ path }: { path: string }) {
  useTitle('Not found');
  return (
    <div className="page">
      <h1>Not found</h1>
      <p className="muted">No page at {path}.</p>
    </div>
  );
}

function Gate() {
  const { me, loading } = useSession();
  const loc = useLocation();
  if (loading) return <Skeleton rows={3} />;
  if (!me) {
    if (loc.pathname === '/login') return <LoginPage />;
    if (loc.pathname === '/no-access') return <NoAccessPage />;
    return <Navigate to="/login" replace state={{ from: loc.pathname + loc.search }} />;
  }
  if (loc.pathname === '/login' || loc.pathname === '/no-access') return <Navigate to={(loc.state as { from?: string } | null)?.from ?? '/dags'} replace />;
  return (
    <Shell>
      <Suspense fallback={<Skeleton rows={6} />}>
        <Routes>
          <Route path="/" element={<Navigate to="/dags" replace />} />
          <Route path="/dags" element={<DagListPage />} />
          <Route path="/dags/:ns/:name" element={<DagDetailPage />} />
          <Route path="/dags/:ns/:name/edit" element={<EditorPage />} />
          <Route path="/editor" element={<EditorPage />} />
          <Route path="/runs" element={<RunListPage />} />
          <Route path="/runs/:id" element={<RunDetailPage />} />
          <Route path="/stats" element={<StatsPage />} />
          <Route path="/tokens" element={<TokensPage />} />
          <Route path="/admin/users" element={<UsersPage />} />
          <Route path="/admin/audit" element={<AuditPage />} />
          <Route path="*" element={<NotFound path={loc.pathname} />} />
        </Routes>
      </Suspense>
    </Shell>
  );
}

export function App() {
  const api = useMemo(() => createApi(), []);
  const expiredRef = useRef<() => void>(() => undefined);
  const qc = useMemo(() => {
    const onError = (e: unknown) => {
      if (isUnauthenticated(e)) expiredRef.current();
    };
    return new QueryClient({
      queryCache: new QueryCache({ onError }),
      mutationCache: new MutationCache({ onError }),
      defaultOptions: {
        queries: { retry: (n, e) => isRetryable(e) && n < 2, refetchOnWindowFocus: true, staleTime: 5_000 },
      },
    });
  }, []);
  const register = useCallback((fn: () => void) => {
    expiredRef.current = fn;
  }, []);
  // A data router (for the editor's unsaved-changes guard); the pages are descendant routes.
  const router = useMemo(
    () =>
      createBrowserRouter([
        {
          path: '*',
          element: (
            <SessionProvider onExpired={register}>
              <Gate />
            </SessionProvider>
          ),
        },
      ]),
    [register],
  );
  return (
    <ApiProvider client={api}>
      <QueryClientProvider client={qc}>
        <ToastProvider>
          <RouterProvider router={router} />
        </ToastProvider>
      </QueryClientProvider>
    </ApiProvider>
  );
}
