import type { ReactNode } from 'react';
import { NavLink } from 'react-router';
import { useSession } from '../auth/session.js';
import { Shortcuts } from './shortcuts.js';
import { useTheme } from './theme.js';

const ICON: Record<string, string> = { dags: '◇', runs: '▶', editor: '✚', stats: '▤', users: '☺', tokens: '⊡', audit: '☰' };

function Item({ to, icon, children }: { to: string; icon: string; children: ReactNode }) {
  return (
    <NavLink to={to} className={({ isActive }) => `nav-link${isActive ? ' active' : ''}`}>
      <span aria-hidden="true" style={{ width: 18, textAlign: 'center' }}>
        {icon}
      </span>
      <span className="label">{children}</span>
    </NavLink>
  );
}

export function Shell({ children }: { children: ReactNode }) {
  const { me, isAdmin, canEdit, signOut } = useSession();
  const [theme, toggleTheme] = useTheme();
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          <img src="/favicon.svg" alt="" />
          <span className="label">Kontroler</span>
        </div>
        <Item to="/dags" icon={ICON.dags!}>DAGs</Item>
        <Item to="/runs" icon={ICON.runs!}>Runs</Item>
        {canEdit() ? <Item to="/editor" icon={ICON.editor!}>New DAG</Item> : null}
        <Item to="/stats" icon={ICON.stats!}>Stats</Item>
        <div className="nav-section">Access</div>
        <Item to="/tokens" icon={ICON.tokens!}>API tokens</Item>
        {isAdmin ? <Item to="/admin/users" icon={ICON.users!}>Users</Item> : null}
        {isAdmin ? <Item to="/admin/audit" icon={ICON.audit!}>Audit log</Item> : null}
        <div className="sidebar-foot">
          <span className="label muted" title={me?.roles.map((r) => `${r.role} in ${r.namespace}`).join(', ')}>
            Signed in as <strong style={{ color: 'var(--text)' }}>{me?.username}</strong>
          </span>
          <button className="small" onClick={toggleTheme} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`} data-testid="theme-toggle">
            {theme === 'dark' ? '☀' : '☾'} <span className="label">{theme === 'dark' ? 'Light' : 'Dark'} theme</span>
          </button>
          <button className="small" onClick={() => void signOut()}>
            <span aria-hidden="true">⎋</span> <span className="label">Sign out</span>
          </button>
          <span className="label muted" style={{ fontSize: 11.5 }}>
            Press <span className="kbd">?</span> for shortcuts
          </span>
        </div>
      </nav>
      <main className="main" id="main">
        {children}
      </main>
      <Shortcuts toggleTheme={toggleTheme} />
    </div>
  );
}
