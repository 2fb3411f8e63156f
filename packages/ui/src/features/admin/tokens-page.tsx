// API tokens: create (the secret is shown once), list, revoke. Admins can list everyone's.
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Role } from '@kontroler/client';
import { useApi, errorText } from '../../api.js';
import { formatRelative, formatTimestamp } from '../../lib/format.js';
import { Dialog, ErrorBox, StatusBadge, useNow, useToast } from '../../lib/ui.js';
import { ListCard } from '../../lib/list-card.js';
import { useSubmit } from '../../lib/use-submit.js';
import { useSession } from '../auth/session.js';
import { useTitle } from '../../lib/use-title.js';

export function TokensPage() {
  useTitle('API tokens');
  const api = useApi();
  const qc = useQueryClient();
  const toast = useToast();
  const now = useNow(30_000);
  const { isAdmin } = useSession();
  const [all, setAll] = useState(false);
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ name: string; token: string }>();
  const list = useQuery({ queryKey: ['tokens', all], queryFn: () => api.listTokens({ all, includeRevoked: true }) });
  const revoke = useMutation({
    mutationFn: (id: number) => api.revokeToken(id),
    onSuccess: (t) => {
      toast(`Token ${t.name} revoked`);
      void qc.invalidateQueries({ queryKey: ['tokens'] });
    },
    onError: (e) => toast(errorText(e), true),
  });
  return (
    <div className="page">
      <div className="page-head">
        <h1>API tokens</h1>
        <span className="spacer" />
        {isAdmin ? (
          <label className="row" style={{ gap: 6 }}>
            <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} /> Everyone’s tokens
          </label>
        ) : null}
        <button className="primary" onClick={() => setCreating(true)}>
          New token
        </button>
      </div>
      <p className="muted" style={{ margin: 0 }}>
        Tokens authenticate the CLI, CI jobs and scripts: <code>Authorization: Bearer kt_…</code>. A token never grants more than its user has.
      </p>
      <ListCard
        list={list}
        label="Tokens"
        empty="No tokens yet."
        columns={
          <>
            <th>Name</th>
            {all ? <th>User</th> : null}
            <th>Prefix</th>
            <th>Role</th>
            <th>Namespaces</th>
            <th>Expires</th>
            <th>Last used</th>
            <th>State</th>
            <th />
          </>
        }
        row={(t) => (
          <tr key={t.id} data-token={t.name}>
            <td style={{ fontWeight: 600 }}>{t.name}</td>
            {all ? <td>{t.user}</td> : null}
            <td className="mono">{t.prefix}…</td>
            <td>{t.role}</td>
            <td>{t.namespaces.length ? t.namespaces.join(', ') : 'all of yours'}</td>
            <td title={formatTimestamp(t.expiresAt)}>{t.expiresAt ? formatRelative(t.expiresAt, now) : 'never'}</td>
            <td>{t.lastUsedAt ? formatRelative(t.lastUsedAt, now) : 'never'}</td>
            <td>{t.revokedAt ? <StatusBadge status="canceled" label="revoked" /> : <StatusBadge status="succeeded" label="active" />}</td>
            <td style={{ textAlign: 'right' }}>
              {!t.revokedAt ? (
                <button
                  className="small danger"
                  disabled={revoke.isPending}
                  onClick={() => window.confirm(`Revoke token “${t.name}”? Anything using it stops working at once.`) && revoke.mutate(t.id)}
                >
                  Revoke
                </button>
              ) : null}
            </td>
          </tr>
        )}
      />
      {creating ? (
        <CreateToken
          onClose={() => setCreating(false)}
          onCreated={(name, token) => {
            setCreating(false);
            setSecret({ name, token });
            void qc.invalidateQueries({ queryKey: ['tokens'] });
          }}
        />
      ) : null}
      <Dialog open={Boolean(secret)} onClose={() => setSecret(undefined)} title={`Token “${secret?.name}” created`} footer={<button className="primary" onClick={() => setSecret(undefined)}>Done</button>}>
        <p style={{ margin: 0 }}>Copy it now: it is shown only this once and cannot be read again.</p>
        <div className="secret" data-testid="new-token">
          {secret?.token}
        </div>
        <div className="row">
          <button
            onClick={() => {
              void navigator.clipboard?.writeText(secret?.token ?? '').then(() => toast('Copied'), () => toast('Copy failed: select the text and copy it', true));
            }}
          >
            Copy
          </button>
        </div>
      </Dialog>
    </div>
  );
}

function CreateToken({ onClose, onCreated }: { onClose: () => void; onCreated: (name: string, token: string) => void }) {
  const api = useApi();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role | ''>('');
  const [namespaces, setNamespaces] = useState('');
  const [days, setDays] = useState('90');
  const { busy, error, submit } = useSubmit(async () => {
    const ns = namespaces.split(',').map((s) => s.trim()).filter(Boolean);
    const r = await api.createToken({ name, ...(role ? { role } : {}), ...(ns.length ? { namespaces: ns } : {}), ...(days ? { expiresInDays: Number(days) } : {}) });
    onCreated(r.name, r.token);
  });
  return (
    <Dialog
      open
      onClose={onClose}
      title="New API token"
      footer={
        <>
          <button onClick={onClose}>Cancel</button>
          <button className="primary" type="submit" form="token-form" disabled={busy || !name}>
            Create
          </button>
        </>
      }
    >
      <form id="token-form" onSubmit={submit} style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
        <label className="field">
          Name
          <input name="token-name" value={name} onChange={(e) => setName(e.target.value)} required autoFocus placeholder="e.g. ci-deploy" />
        </label>
        <div className="row">
          <label className="field grow">
            Role
            <select value={role} onChange={(e) => setRole(e.target.value as Role | '')}>
              <option value="">all of my roles</option>
              <option value="viewer">viewer</option>
              <option value="editor">editor</option>
              <option value="admin">admin</option>
            </select>
          </label>
          <label className="field">
            Expires in (days)
            <input type="number" min={1} value={days} onChange={(e) => setDays(e.target.value)} style={{ width: 120 }} placeholder="never" />
          </label>
        </div>
        <label className="field">
          <span>
            Namespaces <span className="hint">(comma-separated; empty: every namespace I can see)</span>
          </span>
          <input value={namespaces} onChange={(e) => setNamespaces(e.target.value)} />
        </label>
        <ErrorBox error={error} />
      </form>
    </Dialog>
  );
}
