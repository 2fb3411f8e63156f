// Users and their role bindings per namespace (admin on every namespace).
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Role, RoleBinding, User } from '@kontroler/client';
import { useApi, errorText } from '../../api.js';
import { formatRelative } from '../../lib/format.js';
import { Dialog, ErrorBox, StatusBadge, useNow, useToast } from '../../lib/ui.js';
import { ListCard } from '../../lib/list-card.js';
import { useSession } from '../auth/session.js';
import { useTitle } from '../../lib/use-title.js';

export function UsersPage() {
  useTitle('Users');
  const api = useApi();
  const qc = useQueryClient();
  const toast = useToast();
  const now = useNow(60_000);
  const { me, isAdmin } = useSession();
  const [editing, setEditing] = useState<User | 'new'>();
  const list = useQuery({ queryKey: ['users'], queryFn: () => api.listUsers() });
  const update = useMutation({
    mutationFn: (v: { username: string; disabled: boolean }) => api.updateUser(v.username, { disabled: v.disabled }),
    onSuccess: (u) => {
      toast(`${u.username} ${u.disabled ? 'disabled' : 'enabled'}`);
      void qc.invalidateQueries({ queryKey: ['users'] });
    },
    onError: (e) => toast(errorText(e), true),
  });
  const remove = useMutation({
    mutationFn: (username: string) => api.deleteUser(username),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['users'] }),
    onError: (e) => toast(errorText(e), true),
  });
  return (
    <div className="page">
      <div className="page-head">
        <h1>Users</h1>
        <span className="spacer" />
        <button className="primary" onClick={() => setEditing('new')} disabled={!isAdmin} title={isAdmin ? undefined : 'Creating users needs the admin role on every namespace (*)'}>
          New user
        </button>
      </div>
      <ListCard
        list={list}
        label="Users"
        columns={
          <>
            <th>Username</th>
            <th>Roles</th>
            <th>State</th>
            <th>Created</th>
            <th />
          </>
        }
        row={(u) => (
          <tr key={u.username} data-user={u.username}>
            <td style={{ fontWeight: 600 }}>{u.username}</td>
            <td className="wrap">
              {u.roles.length === 0 ? <span className="muted">no roles</span> : null}
              {u.roles.map((r) => (
                <span key={`${r.namespace}:${r.role}`} className="chip" style={{ marginRight: 4 }}>
                  {r.role} · {r.namespace === '*' ? 'all namespaces' : r.namespace}
                </span>
              ))}
            </td>
            <td>{u.disabled ? <StatusBadge status="canceled" label="disabled" /> : <StatusBadge status="succeeded" label="active" />}</td>
            <td>{formatRelative(u.createdAt, now)}</td>
            <td style={{ textAlign: 'right' }}>
              <span className="row" style={{ justifyContent: 'flex-end' }}>
                <button className="small" onClick={() => setEditing(u)}>
                  Edit roles
                </button>
                {u.username !== me?.username ? (
                  <>
                    <button className="small" onClick={() => update.mutate({ username: u.username, disabled: !u.disabled })}>
                      {u.disabled ? 'Enable' : 'Disable'}
                    </button>
                    <button className="small danger" onClick={() => window.confirm(`Delete user ${u.username}?`) && remove.mutate(u.username)}>
                      Delete
                    </button>
                  </>
                ) : null}
              </span>
            </td>
          </tr>
        )}
      />
      {editing ? <UserDialog user={editing === 'new' ? undefined : editing} onClose={() => setEditing(undefined)} /> : null}
    </div>
  );
}

function UserDialog({ user, onClose }: { user: User | undefined; onClose: () => void }) {
  const api = useApi();
  const qc = useQueryClient();
  const toast = useToast();
  const [username, setUsername] = useState(user?.username ?? '');
  const [password, setPassword] = useState('');
  const [roles, setRoles] = useState<RoleBinding[]>(user?.roles ?? [{ namespace: 'default', role: 'viewer' }]);
  const [error, setError] = useState<unknown>();
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    try {
      if (user) await api.updateUser(user.username, { roles, ...(password ? { password } : {}) });
      else await api.createUser({ username, password, roles });
      toast(user ? `Saved ${user.username}` : `Created ${username}`);
      void qc.invalidateQueries({ queryKey: ['users'] });
      onClose();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <Dialog
      open
      onClose={onClose}
      title={user ? `Edit ${user.username}` : 'New user'}
      footer={
        <>
          <button onClick={onClose}>Cancel</button>
          <button className="primary" type="submit" form="user-form">
            Save
          </button>
        </>
      }
    >
      <form id="user-form" onSubmit={submit} style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
        {!user ? (
          <label className="field">
            Username
            <input value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus />
          </label>
        ) : null}
        <label className="field">
          {user ? 'New password (optional)' : 'Password'}
          <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required={!user} autoComplete="new-password" />
        </label>
        <div className="field">
          <span>Roles per namespace</span>
          {roles.map((r, i) => (
            <div className="row" key={i}>
              <input aria-label={`namespace ${i + 1}`} value={r.namespace} placeholder="namespace or *" onChange={(e) => setRoles(roles.map((x, j) => (j === i ? { ...x, namespace: e.target.value } : x)))} />
              <select aria-label={`role ${i + 1}`} value={r.role} onChange={(e) => setRoles(roles.map((x, j) => (j === i ? { ...x, role: e.target.value as Role } : x)))}>
                <option value="viewer">viewer</option>
                <option value="editor">editor</option>
                <option value="admin">admin</option>
              </select>
              <button type="button" className="small ghost" aria-label="remove binding" onClick={() => setRoles(roles.filter((_, j) => j !== i))}>
                ✕
              </button>
            </div>
          ))}
          <button type="button" className="small" style={{ alignSelf: 'flex-start' }} onClick={() => setRoles([...roles, { namespace: 'default', role: 'viewer' }])}>
            + Binding
          </button>
        </div>
        <ErrorBox error={error} />
      </form>
    </Dialog>
  );
}
