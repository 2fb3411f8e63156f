// An approval task's part of the task panel: what it asks (its message, resolved), its timeout and
// what happens then, and, while it waits, a form: one field per declared input (required to
// approve), a comment, Approve and Reject (Reject asks first). Without the editor role the form
// shows but its buttons are disabled and say why. The server's refusals show where they belong: a
// field's detail under the field, the message (a 409: who decided, or that the run ended) above
// the buttons. Once decided, the decision replaces the form.
import { useState, type FormEvent } from 'react';
import type { Approval, RunTask } from '@kontroler/client';
import { ApiError, errorText, useApi } from '../../api.js';
import { formatRelative, formatTimestamp } from '../../lib/format.js';
import { useToast } from '../../lib/ui.js';
import { OutputsTable } from '../runs/attempt-outputs.js';
import { approvalState, decisionBody, decisionErrors, decisionText, type DecisionErrors } from './model.js';

export interface ApprovalSectionProps {
  runId: number;
  namespace: string;
  task: RunTask;
  approval: Approval;
  /** The signed-in user may decide (editor or admin in the run's namespace). */
  editable: boolean;
  now: number;
  /** A decision was recorded: refresh the run. */
  onDecided: () => void;
}

export function ApprovalSection({ runId, namespace, task, approval, editable, now, onDecided }: ApprovalSectionProps) {
  const state = approvalState(approval);
  return (
    <div className="section approval" data-testid="approval" data-approval-state={state}>
      <h3>Approval</h3>
      <p className="approval-message" data-testid="approval-message">
        {approval.message}
      </p>
      <dl className="kv" style={{ margin: '6px 0 0' }}>
        {approval.timeoutAt && (state === 'waiting' || state === 'pending') ? (
          <>
            <dt>Times out</dt>
            <dd data-testid="approval-timeout" title={formatTimestamp(approval.timeoutAt)}>
              {formatRelative(approval.timeoutAt, now)}, then {approval.onTimeout === 'Approve' ? 'approved' : 'rejected'}
            </dd>
          </>
        ) : null}
        {state === 'pending' ? (
          <>
            <dt>Asks</dt>
            <dd>once its upstream tasks succeed</dd>
          </>
        ) : null}
        {state === 'closed' ? (
          <>
            <dt>Decision</dt>
            <dd>none (the request ended{task.reason ? `: ${task.reason}` : ''})</dd>
          </>
        ) : null}
      </dl>
      {approval.decision ? <Decision decision={approval.decision} /> : null}
      {state === 'waiting' ? <DecisionForm key={approval.attempt} runId={runId} namespace={namespace} task={task.name} approval={approval} editable={editable} onDecided={onDecided} /> : null}
    </div>
  );
}

function Decision({ decision }: { decision: NonNullable<Approval['decision']> }) {
  return (
    <div data-testid="approval-decision" data-approve={String(decision.approve)} style={{ marginTop: 8 }}>
      <dl className="kv" style={{ margin: 0 }}>
        <dt>Decision</dt>
        <dd>
          <span className={`badge tone-${decision.approve ? 'success' : 'danger'}`} data-testid="decision-text">
            {decisionText(decision)}
          </span>
        </dd>
        <dt>At</dt>
        <dd data-testid="decision-at">{formatTimestamp(decision.at)}</dd>
        {decision.comment !== null ? (
          <>
            <dt>Comment</dt>
            <dd data-testid="decision-comment" style={{ whiteSpace: 'pre-wrap' }}>
              {decision.comment}
            </dd>
          </>
        ) : null}
      </dl>
      {Object.keys(decision.inputs).length > 0 ? (
        <div style={{ marginTop: 6 }} data-testid="decision-inputs">
          <OutputsTable outputs={decision.inputs} label="Decision inputs" column="Input" />
        </div>
      ) : null}
    </div>
  );
}

interface FormProps {
  runId: number;
  namespace: string;
  task: string;
  approval: Approval;
  editable: boolean;
  onDecided: () => void;
}

function DecisionForm({ runId, namespace, task, approval, editable, onDecided }: FormProps) {
  const api = useApi();
  const toast = useToast();
  const [values, setValues] = useState<Record<string, string>>({});
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState<'approve' | 'reject' | undefined>();
  const [error, setError] = useState<unknown>();
  const fields: DecisionErrors = error instanceof ApiError ? decisionErrors(error.details) : { inputs: {}, other: [] };
  const why = editable ? undefined : `Deciding needs the editor role in namespace ${namespace}`;

  async function decide(approve: boolean): Promise<void> {
    setBusy(approve ? 'approve' : 'reject');
    setError(undefined);
    try {
      const body = decisionBody(approve, approval.inputs, values, comment);
      await (approve ? api.approveTask(runId, task, body) : api.rejectTask(runId, task, body));
      toast(approve ? `${task} approved` : `${task} rejected`);
      onDecided();
    } catch (e) {
      setError(e);
      // Refused because someone else decided, or the run ended: the panel catches up.
      if (e instanceof ApiError && e.status === 409) onDecided();
    } finally {
      setBusy(undefined);
    }
  }
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void decide(true);
  };
  const onReject = () => {
    if (window.confirm(`Reject ${task}? The task fails and the tasks after it do not run.`)) void decide(false);
  };

  return (
    <form className="approval-form" data-testid="approval-form" onSubmit={onSubmit} aria-label={`Decide ${task}`}>
      {approval.inputs.map((name) => (
        <label key={name} className="field">
          <span>
            {name} <span className="hint">(required to approve)</span>
          </span>
          <input
            name={`input-${name}`}
            value={values[name] ?? ''}
            onChange={(e) => setValues((v) => ({ ...v, [name]: e.target.value }))}
            required
            disabled={!editable}
            className={fields.inputs[name] ? 'invalid' : undefined}
            aria-invalid={fields.inputs[name] ? true : undefined}
          />
          {fields.inputs[name] ? (
            <span className="field-error" data-testid={`input-error-${name}`}>
              {fields.inputs[name]}
            </span>
          ) : null}
        </label>
      ))}
      <label className="field">
        <span>
          Comment <span className="hint">(optional, kept with the decision)</span>
        </span>
        <textarea name="comment" rows={2} value={comment} onChange={(e) => setComment(e.target.value)} disabled={!editable} className={fields.comment ? 'invalid' : undefined} />
        {fields.comment ? <span className="field-error" data-testid="comment-error">{fields.comment}</span> : null}
      </label>
      {error ? (
        <div className="error-box" role="alert" data-testid="approval-error" style={{ whiteSpace: 'pre-wrap' }}>
          {error instanceof ApiError ? [error.message, ...fields.other].join('\n') : errorText(error)}
        </div>
      ) : null}
      {/* A disabled button shows no tooltip in some browsers: the title sits on its wrapper too. */}
      <div className="row" title={why} data-testid="approval-buttons">
        <button type="submit" className="primary" disabled={!editable || busy !== undefined} title={why}>
          {busy === 'approve' ? 'Approving…' : 'Approve'}
        </button>
        <button type="button" className="danger" onClick={onReject} disabled={!editable || busy !== undefined} title={why}>
          {busy === 'reject' ? 'Rejecting…' : 'Reject'}
        </button>
        {why ? <span className="muted" style={{ fontSize: 12 }}>{why}</span> : null}
      </div>
    </form>
  );
}
