// Display formatting shared by every page (pure: `now` is passed in).

/** `950 ms`, `12.3 s`, `4 m 05 s`, `2 h 03 m`, `3 d 4 h`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 0) ms = 0;
  if (Math.round(ms) < 1000) return `${Math.round(ms)} ms`;
  // Rounded once at the precision shown: 59.96 s is `1 m 00 s`, never `60 s`.
  const tenths = Math.round(ms / 100);
  if (tenths < 100) return `${(tenths / 10).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} m`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** `just now`, `5 s ago`, `3 min ago`, `in 2 h`, `4 d ago`. */
export function formatRelative(iso: string | null | undefined, now: number): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '—';
  const d = t - now;
  const a = Math.abs(d);
  let v: string;
  if (a < 5_000) return 'just now';
  if (a < 60_000) v = `${Math.round(a / 1000)} s`;
  else if (a < 3_600_000) v = `${Math.round(a / 60_000)} min`;
  else if (a < 172_800_000) v = `${Math.round(a / 3_600_000)} h`;
  else v = `${Math.round(a / 86_400_000)} d`;
  return d < 0 ? `${v} ago` : `in ${v}`;
}

/** `2024-05-01 13:04:05` in local time (stable width for tables). */
export function formatTimestamp(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatPercent(rate: number | null | undefined, digits = 0): string {
  return rate === null || rate === undefined || !Number.isFinite(rate) ? '—' : `${(rate * 100).toFixed(digits)}%`;
}
