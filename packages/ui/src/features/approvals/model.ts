// What an approval task's panel shows and sends, as plain data: its state (waiting for a person,
// decided, not asked yet, or closed without a decision), the body of a decision, and the server's
// field errors sorted to the fields they name. The panel (approval-section.tsx) only renders these.
import type { Approval, ApprovalDecisionInput, FieldError, RunTask } from '@kontroler/client';

/**
 * - `waiting`: approve / reject are accepted now.
 * - `decided`: a decision exists (a person's, or `by: 'timeout'`); it may not be carried out yet.
 * - `pending`: no approval attempt yet (its upstream tasks have not finished).
 * - `closed`: the attempt ended without a decision (the run was canceled).
 */
export type ApprovalState = 'waiting' | 'decided' | 'pending' | 'closed';

export function approvalState(a: Approval): ApprovalState {
  if (a.decision) return 'decided';
  if (a.waiting) return 'waiting';
  return a.attempt === 0 ? 'pending' : 'closed';
}

/** True for an approval task that waits for a person now (its node and row say so). */
export function awaitsDecision(t: Pick<RunTask, 'kind' | 'approval'>): boolean {
  return t.kind === 'approval' && t.approval !== undefined && approvalState(t.approval) === 'waiting';
}

/**
 * The body of an approve or reject: every declared input on approve (an empty field is sent as
 * `""`; the form requires them), only the filled ones on reject; the comment when not blank.
 * Names the approval does not declare are never sent.
 */
export function decisionBody(approve: boolean, declared: readonly string[], values: Readonly<Record<string, string>>, comment: string): ApprovalDecisionInput {
  const inputs: Record<string, string> = {};
  for (const name of declared) {
    const v = values[name] ?? '';
    if (approve || v !== '') inputs[name] = v;
  }
  return { ...(comment.trim() !== '' ? { comment } : {}), ...(Object.keys(inputs).length > 0 ? { inputs } : {}) };
}

export interface DecisionErrors {
  /** By input name: what the server said about `body.inputs.NAME`. */
  inputs: Record<string, string>;
  /** What it said about `body.comment`. */
  comment?: string;
  /** Details naming no field of the form. */
  other: string[];
}

const INPUT_PATH = /^body\.inputs(?:\.([A-Za-z_][A-Za-z0-9_]*)|\["((?:[^"\\]|\\.)*)"\])$/;

/** The server's field details (`details[].path`) sorted to the form's fields. */
export function decisionErrors(details: readonly FieldError[]): DecisionErrors {
  const out: DecisionErrors = { inputs: {}, other: [] };
  for (const d of details) {
    const m = INPUT_PATH.exec(d.path);
    const name = m ? (m[1] ?? (JSON.parse(`"${m[2]}"`) as string)) : undefined;
    if (name !== undefined) out.inputs[name] = out.inputs[name] ? `${out.inputs[name]}; ${d.message}` : d.message;
    else if (d.path === 'body.comment') out.comment = d.message;
    else out.other.push(`${d.path}: ${d.message}`);
  }
  return out;
}

/** "approved by ana", "rejected on timeout". */
export function decisionText(d: NonNullable<Approval['decision']>): string {
  const verb = d.approve ? 'approved' : 'rejected';
  return d.by === 'timeout' ? `${verb} on timeout` : `${verb} by ${d.by}`;
}
