// The selected task's actions in its panel: retry it (alone or with the tasks after it), mark it
// succeeded or failed (asked for confirmation; the audit log records who). Each is disabled with
// a tooltip saying why when the task is in no state for it (task-actions-model.ts).
import { useState } from 'react';
import type { RunTask } from '@kontroler/client';
import { useApi, errorText } from '../../api.js';
import { useToast } from '../../lib/ui.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { taskActionsOf } from './task-actions-model.js';

export interface RunStateForActions {
  status: string;
  cancelRequested: boolean;
  requested: string | null;
}

export function TaskActionsBar({ runId, task, run, onChanged }: { runId: number; task: RunTask; run: RunStateForActions; onChanged: () => void }) {
  const api = useApi();
  const toast = useToast();
  const [marking, setMarking] = useState<'succeeded' | 'failed' | undefined>();
  const [busy, setBusy] = useState(false);
  const a = taskActionsOf(task, run);
  const retry = async (downstream: boolean) => {
    setBusy(true);
    try {
      await api.retryTask(runId, task.name, { downstream });
      toast(downstream ? `Retrying ${task.name} and the tasks after it` : `Retrying ${task.name}`);
      onChanged();
    } catch (e) {
      toast(errorText(e), true);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="section row task-actions" data-testid="task-actions" style={{ gap: 6, flexWrap: 'wrap' }}>
      <button className="small" disabled={!a.retry.enabled || busy} title={a.retry.title} onClick={() => void retry(false)}>
        Retry task
      </button>
      <button className="small" disabled={!a.retryDownstream.enabled || busy} title={a.retryDownstream.title} onClick={() => void retry(true)}>
        Retry with downstream
      </button>
      <button className="small" disabled={!a.markSucceeded.enabled || busy} title={a.markSucceeded.title} onClick={() => setMarking('succeeded')}>
        Mark succeeded
      </button>
      <button className="small" disabled={!a.markFailed.enabled || busy} title={a.markFailed.title} onClick={() => setMarking('failed')}>
        Mark failed
      </button>
      <ConfirmDialog
        open={marking !== undefined}
        title={`Mark ${task.name} ${marking ?? ''}`}
        confirm={`Mark ${marking ?? ''}`}
        danger={marking === 'failed'}
        onClose={() => setMarking(undefined)}
        onConfirm={async () => {
          if (!marking) return;
          await api.markTask(runId, task.name, marking);
          toast(`${task.name} marked ${marking}`);
          onChanged();
        }}
      >
        <p style={{ margin: 0 }}>
          {task.name} is {task.status}. Marked {marking}, the tasks after it see it as {marking}
          {run.status === 'running' || run.status === 'pending' ? '' : ', and the run\u2019s outcome is evaluated again'}. Nothing runs for it; the audit log records that you marked it.
        </p>
      </ConfirmDialog>
    </div>
  );
}
