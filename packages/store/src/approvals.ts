// Decisions on approval attempts (approval_decisions, migration 10): the API records a person's
// decision and wakes the run's controller; the controller feeds the undecided-yet-unapplied ones
// to the run's engine and marks them applied once the run's state is saved. At most one decision
// per attempt: a second is refused with the first (who decided, when).
import type { Queryable } from './db.js';
import { RUNS_CHANNEL } from './runs.js';
import type { ApprovalDecisionsRow } from './rows/run-parts.js';

export interface ApprovalDecisionRecord {
  runId: number;
  task: string;
  attempt: number;
  approve: boolean;
  decidedBy: string;
  comment?: string;
  inputs: Record<string, string>;
  decidedAt: number;
  applied: boolean;
}

function fromRow(r: ApprovalDecisionsRow): ApprovalDecisionRecord {
  return {
    runId: Number(r.run_id),
    task: r.task,
    attempt: r.attempt,
    approve: r.approve,
    decidedBy: r.decided_by,
    ...(r.comment !== null ? { comment: r.comment } : {}),
    inputs: r.inputs,
    decidedAt: r.decided_at.getTime(),
    applied: r.applied,
  };
}

/** A decision to record: the record without what the store adds (when, whether applied). */
export type ApprovalDecisionInput = Omit<ApprovalDecisionRecord, 'decidedAt' | 'applied' | 'inputs'> & { inputs: Readonly<Record<string, string>> };

/**
 * Records the decision on attempt (runId, task, attempt) and wakes the run's controller. Returns
 * `{ decided }` with the new decision, or `{ earlier }` with the one already recorded (nothing is
 * changed then).
 */
export async function recordApprovalDecision(db: Queryable, d: ApprovalDecisionInput): Promise<{ decided: ApprovalDecisionRecord } | { earlier: ApprovalDecisionRecord }> {
  const { rows } = await db.query<ApprovalDecisionsRow>(
    `insert into approval_decisions (run_id, task, attempt, approve, decided_by, comment, inputs)
     values ($1, $2, $3, $4, $5, $6, $7::jsonb) on conflict (run_id, task, attempt) do nothing returning *`,
    [d.runId, d.task, d.attempt, d.approve, d.decidedBy, d.comment ?? null, JSON.stringify(d.inputs)],
  );
  if (rows[0]) {
    await db.query('select pg_notify($1, $2)', [RUNS_CHANNEL, String(d.runId)]);
    return { decided: fromRow(rows[0]) };
  }
  const earlier = await db.query<ApprovalDecisionsRow>('select * from approval_decisions where run_id = $1 and task = $2 and attempt = $3', [d.runId, d.task, d.attempt]);
  const e = earlier.rows[0];
  if (!e) throw new Error(`approval decision for run ${d.runId} ${d.task}#${d.attempt} neither inserted nor found`);
  return { earlier: fromRow(e) };
}

/** The run's decisions not yet fed to its engine, oldest first. */
export async function pendingApprovalDecisions(db: Queryable, runId: number): Promise<ApprovalDecisionRecord[]> {
  const { rows } = await db.query<ApprovalDecisionsRow>('select * from approval_decisions where run_id = $1 and not applied order by decided_at, task, attempt', [runId]);
  return rows.map(fromRow);
}

/** Marks decisions as fed to the run's engine (its state with them is saved). */
export async function markApprovalDecisionsApplied(db: Queryable, runId: number, keys: ReadonlyArray<{ task: string; attempt: number }>): Promise<void> {
  if (keys.length === 0) return;
  await db.query(
    `update approval_decisions d set applied = true from unnest($2::text[], $3::int[]) as k(task, attempt)
      where d.run_id = $1 and d.task = k.task and d.attempt = k.attempt`,
    [runId, keys.map((k) => k.task), keys.map((k) => k.attempt)],
  );
}

/** The decisions recorded on these attempts of a run, by task (one query whatever their number). */
export async function approvalDecisionsOf(db: Queryable, runId: number, keys: ReadonlyArray<{ task: string; attempt: number }>): Promise<Map<string, ApprovalDecisionRecord>> {
  const out = new Map<string, ApprovalDecisionRecord>();
  if (keys.length === 0) return out;
  const { rows } = await db.query<ApprovalDecisionsRow>(
    `select d.* from approval_decisions d join unnest($2::text[], $3::int[]) as k(task, attempt) on d.task = k.task and d.attempt = k.attempt
      where d.run_id = $1`,
    [runId, keys.map((k) => k.task), keys.map((k) => k.attempt)],
  );
  for (const r of rows) out.set(r.task, fromRow(r));
  return out;
}

/** The decision on an attempt, if one was made. */
export async function getApprovalDecision(db: Queryable, runId: number, task: string, attempt: number): Promise<ApprovalDecisionRecord | undefined> {
  const { rows } = await db.query<ApprovalDecisionsRow>('select * from approval_decisions where run_id = $1 and task = $2 and attempt = $3', [runId, task, attempt]);
  return rows[0] ? fromRow(rows[0]) : undefined;
}
