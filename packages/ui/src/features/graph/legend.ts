// The legend of a run graph's colours: each tone the task statuses are drawn in, with the statuses
// it stands for (pure; the tones are lib/status.ts's, so legend and nodes cannot disagree).
import { toneOf, type Tone } from '../../lib/status.js';

/** Task statuses in the order the legend lists them (the engine's TASK_STATUSES). */
const STATUSES = ['pending', 'waiting', 'running', 'succeeded', 'failed', 'skipped', 'canceled'] as const;

export interface LegendEntry {
  readonly tone: Tone;
  /** e.g. "skipped · canceled". */
  readonly label: string;
}

/** One entry per tone, statuses sharing a tone joined, then the approval tone (a running approval task waiting for a person). */
export function legendEntries(): LegendEntry[] {
  const byTone = new Map<Tone, string[]>();
  for (const s of STATUSES) {
    const t = toneOf(s);
    const list = byTone.get(t);
    if (list) list.push(s);
    else byTone.set(t, [s]);
  }
  const out = [...byTone].map(([tone, statuses]) => ({ tone, label: statuses.join(' · ') }));
  out.push({ tone: toneOf('awaiting-approval'), label: 'awaiting approval' });
  return out;
}
