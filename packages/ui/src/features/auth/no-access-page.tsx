// Where single sign-on sends someone whose identity provider groups map to no Kontroler role: an
// explicit answer instead of an empty app (the server started no session).
import { Link, useLocation } from 'react-router';
import { useTitle } from '../../lib/use-title.js';

export function NoAccessPage() {
  useTitle('No access');
  const user = new URLSearchParams(useLocation().search).get('user');
  return (
    <main className="login">
      <section className="card" style={{ width: 420, padding: 28, display: 'flex', flexDirection: 'column', gap: 14 }} aria-label="No access">
        <div className="brand" style={{ justifyContent: 'center', fontSize: 22 }}>
          <img src="/favicon.svg" alt="" /> Kontroler
        </div>
        <h1 style={{ margin: 0, fontSize: 20 }}>No access</h1>
        <p style={{ margin: 0 }} data-testid="no-access-message">
          {user ? (
            <>
              You signed in as <b>{user}</b>, but no Kontroler role is mapped to you.
            </>
          ) : (
            'You signed in, but no Kontroler role is mapped to you.'
          )}
        </p>
        <p className="muted" style={{ margin: 0 }}>
          Roles come from your groups at your identity provider. Ask a Kontroler administrator to map one of your groups to a role
          (viewer, editor or admin) in the namespaces you need, then sign in again.
        </p>
        <Link className="btn" to="/login">
          Back to sign-in
        </Link>
      </section>
    </main>
  );
}
