// Small shared pieces: status badges, buttons with pending state, dialogs, toasts, errors, pager.
import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import type { RunTask } from '@kontroler/client';
import { toneOf } from './status.js';
import { awaitsDecision } from '../features/approvals/model.js';
import { errorText } from '../api.js';

export function StatusBadge({ status, label }: { status: string; label?: string }) {
  return (
    <span className={`badge tone-${toneOf(status)}`} data-status={status}>
      {label ?? status}
    </span>
  );
}

/** A task's status badge; an approval that waits for a person reads "waiting for approval". */
export function TaskStatusBadge({ task }: { task: Pick<RunTask, 'status' | 'kind' | 'approval'> }) {
  return awaitsDecision(task) ? <StatusBadge status="awaiting-approval" label="waiting for approval" /> : <StatusBadge status={task.status} />;
}

export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  return (
    <div className="error-box" role="alert" style={{ whiteSpace: 'pre-wrap' }}>
      {title ? <strong>{title}: </strong> : null}
      {errorText(error)}
    </div>
  );
}

export function Skeleton({ rows = 5 }: { rows?: number }) {
  return (
    <div aria-busy="true" aria-label="loading" style={{ display: 'flex', flexDirection: 'column', gap: 18, padding: 16 }}>
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="skeleton" style={{ width: `${90 - ((i * 17) % 40)}%` }} />
      ))}
    </div>
  );
}

/** A modal on the native <dialog> element: focus trap, Escape and backdrop handling for free. */
export function Dialog({ open, onClose, title, children, footer, wide }: { open: boolean; onClose: () => void; title: string; children: ReactNode; footer?: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} onClose={onClose} aria-label={title} style={wide ? { width: 'min(860px, 94vw)' } : undefined}>
      {open ? (
        <>
          <div className="dialog-head">
            <h2 style={{ margin: 0 }}>{title}</h2>
            <span className="grow" />
            <button className="ghost small" onClick={onClose} aria-label="Close">
              ✕
            </button>
          </div>
          <div className="dialog-body">{children}</div>
          {footer ? <div className="dialog-foot">{footer}</div> : null}
        </>
      ) : null}
    </dialog>
  );
}

interface Toast {
  id: number;
  text: string;
  error?: boolean;
}
const ToastContext = createContext<(text: string, error?: boolean) => void>(() => undefined);

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const push = useCallback((text: string, error = false) => {
    const id = Date.now() + Math.random();
    setToasts((t) => [...t.slice(-3), { id, text, error }]);
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), error ? 8000 : 4000);
  }, []);
  return (
    <ToastContext.Provider value={push}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`toast${t.error ? ' error' : ''}`}>
            {t.text}
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast() {
  return useContext(ToastContext);
}

/** Re-renders every `ms` so relative times ("3 min ago") stay current. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** Keyset pagination state: a stack of cursors (Prev pops, Next pushes the page's nextCursor). */
export interface CursorPages {
  cursor: string | undefined;
  page: number;
  next: (c: string | undefined) => void;
  prev: () => void;
}

export function useCursorPages(resetKey: string): CursorPages {
  const [stack, setStack] = useState<string[]>([]);
  const [key, setKey] = useState(resetKey);
  if (key !== resetKey) {
    setKey(resetKey);
    setStack([]);
  }
  return {
    cursor: stack[stack.length - 1],
    page: stack.length + 1,
    next: (c: string | undefined) => {
      if (c) setStack((s) => [...s, c]);
    },
    prev: () => setStack((s) => s.slice(0, -1)),
  };
}

export function Pager({ page, hasNext, onPrev, onNext, label }: { page: number; hasNext: boolean; onPrev: () => void; onNext: () => void; label?: string }) {
  return (
    <div className="table-foot">
      <span className="muted">{label ?? `Page ${page}`}</span>
      <span className="grow" />
      <button className="small" onClick={onPrev} disabled={page <= 1}>
        ← Newer
      </button>
      <button className="small" onClick={onNext} disabled={!hasNext}>
        Older →
      </button>
    </div>
  );
}

export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export function CountsBar({ counts }: { counts: Record<string, number> | undefined }) {
  if (!counts) return null;
  const total = Object.values(counts).reduce((a, b) => a + b, 0) || 1;
  const order = ['succeeded', 'running', 'waiting', 'failed', 'skipped', 'canceled', 'pending'];
  const cls: Record<string, string> = { succeeded: 'bg-success', running: 'bg-running', waiting: 'bg-warning', failed: 'bg-danger', skipped: 'bg-muted', canceled: 'bg-muted', pending: 'bg-neutral' };
  const title = order.filter((k) => counts[k]).map((k) => `${counts[k]} ${k}`).join(', ');
  return (
    <span className="counts" title={title} aria-label={title}>
      {order.filter((k) => counts[k]).map((k) => (
        <span key={k} className={cls[k]} style={{ width: `${((counts[k] ?? 0) / total) * 100}%` }} />
      ))}
    </span>
  );
}
