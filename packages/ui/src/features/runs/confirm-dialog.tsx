// "Are you sure?" for an action that changes a run: what it does, Confirm / Keep; the action's
// error is shown in the dialog (it stays open) rather than lost.
import type { ReactNode } from 'react';
import { Dialog, ErrorBox } from '../../lib/ui.js';
import { useSubmit } from '../../lib/use-submit.js';

export function ConfirmDialog({ open, title, children, confirm, danger, onConfirm, onClose }: {
  open: boolean;
  title: string;
  children: ReactNode;
  /** The confirm button's label, e.g. "Cancel run". */
  confirm: string;
  danger?: boolean;
  /** Resolves once done (the dialog then closes); throws to keep it open with the error. */
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const { busy, error, submit } = useSubmit(async () => {
    await onConfirm();
    onClose();
  });
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={title}
      footer={
        <>
          <button onClick={onClose}>Keep</button>
          <button className={danger ? 'danger' : 'primary'} type="submit" form="confirm-form" disabled={busy}>
            {busy ? 'Working…' : confirm}
          </button>
        </>
      }
    >
      <form id="confirm-form" onSubmit={submit} data-testid="confirm-dialog">
        {children}
      </form>
      <ErrorBox error={error} />
    </Dialog>
  );
}
