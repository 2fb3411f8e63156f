import { useState } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { ApiError, useApi } from '../../api.js';
import { useSubmit } from '../../lib/use-submit.js';
import { useSession } from './session.js';
import { useTitle } from '../../lib/use-title.js';

/** What the server's `?sso_error=` codes mean to a person. */
const SSO_ERRORS: Record<string, string> = {
  denied: 'Single sign-on was cancelled or refused by your identity provider.',
  state: 'That sign-in expired or was started in another tab. Please sign in again.',
  unavailable: 'The identity provider could not be reached. Try again in a moment.',
  failed: 'Single sign-on did not complete. Try again, or ask an administrator (the server log says why).',
};

export function LoginPage() {
  useTitle('Sign in');
  const { signIn, expired } = useSession();
  const api = useApi();
  const nav = useNavigate();
  const loc = useLocation();
  // Which sign-in methods the server offers; until it answers, show the password form.
  const providers = useQuery({ queryKey: ['auth-providers'], queryFn: () => api.authProviders(), staleTime: 300_000, retry: 1 });
  const sso = providers.data?.sso ?? null;
  const passwordOn = providers.data?.password ?? true;
  const ssoError = new URLSearchParams(loc.search).get('sso_error');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const from = (loc.state as { from?: string } | null)?.from ?? '/';

  const { busy, error: failure, submit } = useSubmit(async () => {
    await signIn(username, password);
    nav(from === '/login' ? '/' : from, { replace: true });
  });
  const error = failure === undefined ? undefined : signInError(failure);

  return (
    <main className="login">
      <form className="card" onSubmit={submit} aria-label="Sign in">
        <div className="brand">
          <img src="/favicon.svg" alt="" /> Kontroler
        </div>
        {expired ? (
          <div className="notice" role="status">
            Your session ended. Sign in again to continue where you were.
          </div>
        ) : null}
        {ssoError ? (
          <div className="field-error" role="alert">
            {SSO_ERRORS[ssoError] ?? SSO_ERRORS.failed}
          </div>
        ) : null}
        {sso ? (
          <a className="btn primary" href={api.ssoLoginUrl({ returnTo: from === '/login' ? '/' : from })} data-testid="sso-login">
            Sign in with {sso.name}
          </a>
        ) : null}
        {sso && passwordOn ? <div className="muted" style={{ textAlign: 'center', fontSize: 12.5 }}>or with a Kontroler account</div> : null}
        {passwordOn ? (
          <>
            <label className="field">
              Username
              <input name="username" autoComplete="username" autoFocus value={username} onChange={(e) => setUsername(e.target.value)} required />
            </label>
            <label className="field">
              Password
              <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
            </label>
            <div className="field-error" role="alert" style={{ minHeight: 18 }}>
              {error}
            </div>
            <button className={sso ? '' : 'primary'} type="submit" disabled={busy}>
              {busy ? 'Signing in…' : 'Sign in'}
            </button>
            {sso ? null : (
              <p className="muted" style={{ margin: 0, fontSize: 12.5 }}>
                First start? The <code>admin</code> password was printed by <code>kontroler up</code> (or set with KONTROLER_ADMIN_PASSWORD).
              </p>
            )}
          </>
        ) : null}
      </form>
    </main>
  );
}

/** What a failed sign-in says to the user. */
function signInError(err: unknown): string {
  if (!(err instanceof ApiError)) return String(err);
  if (err.status === 401) return 'Wrong username or password.';
  return err.status === 429 ? err.message : `Sign-in failed: ${err.message}`;
}
