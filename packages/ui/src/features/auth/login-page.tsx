import { useState, type FormEvent } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { ApiError } from '../../api.js';
import { useSession } from './session.js';

export function LoginPage() {
  const { signIn, expired } = useSession();
  const nav = useNavigate();
  const loc = useLocation();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const from = (loc.state as { from?: string } | null)?.from ?? '/';

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(username, password);
      nav(from === '/login' ? '/' : from, { replace: true });
    } catch (err) {
      setError(
        err instanceof ApiError
          ? err.status === 401
            ? 'Wrong username or password.'
            : err.status === 429
              ? err.message
              : `Sign-in failed: ${err.message}`
          : String(err),
      );
    } finally {
      setBusy(false);
    }
  }

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
        <button className="primary" type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted" style={{ margin: 0, fontSize: 12.5 }}>
          First start? The <code>admin</code> password was printed by <code>kontroler up</code> (or set with KONTROLER_ADMIN_PASSWORD).
        </p>
      </form>
    </main>
  );
}
