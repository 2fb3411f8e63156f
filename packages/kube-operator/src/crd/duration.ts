// Durations as Go prints them (and kubectl shows them): 45s, 1m5s, 2h0m3s. Pure.

/**
 * `ms` as a Go-style duration, whole seconds (rounded down; under a second: the milliseconds,
 * e.g. 350ms); never negative (a negative span, from clocks that disagree, is 0s).
 */
export function goDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0s';
  if (ms < 1000) return `${Math.floor(ms)}ms`;
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  if (h > 0) return `${h}h${m}m${sec}s`;
  if (m > 0) return `${m}m${sec}s`;
  return `${sec}s`;
}
