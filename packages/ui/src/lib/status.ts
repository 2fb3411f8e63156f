// Run, task and attempt statuses → one of a few tones the theme colours (pure).

export type Tone = 'neutral' | 'info' | 'running' | 'success' | 'danger' | 'warning' | 'muted' | 'approval';

const TONES: Record<string, Tone> = {
  pending: 'neutral',
  waiting: 'neutral',
  ready: 'info',
  queued: 'info',
  scheduled: 'info',
  starting: 'running',
  running: 'running',
  retrying: 'warning',
  succeeded: 'success',
  failed: 'danger',
  error: 'danger',
  canceled: 'muted',
  cancelled: 'muted',
  skipped: 'muted',
  lost: 'danger',
  timeout: 'danger',
  // Not a task status: a running approval task that waits for a person (shown apart from running).
  'awaiting-approval': 'approval',
};

export function toneOf(status: string | null | undefined): Tone {
  return TONES[(status ?? '').toLowerCase()] ?? 'neutral';
}

/** True while a run or task may still change. */
export function isActive(status: string | null | undefined): boolean {
  const s = (status ?? '').toLowerCase();
  return s === 'pending' || s === 'running' || s === 'starting' || s === 'ready' || s === 'retrying' || s === 'queued' || s === 'waiting';
}

export const RUN_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'canceled'] as const;
