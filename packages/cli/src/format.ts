// Plain-text output helpers for the terminal.
import { stringify } from 'yaml';

/**
 * YAML as Kontroler reads it back (YAML 1.1, like `kontroler apply` and the DAG folder): values
 * such as `n`, `yes` or `on` are quoted, so they stay strings when the output is applied again.
 */
export function toYaml(data: unknown): string {
  return stringify(data, { version: '1.1' });
}

export function table(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

/**
 * `850ms`, `12.3s`, `2m05s`, `3h07m`. Rounded once, at the precision shown, so 119.77 s is `2m00s`
 * (never `1m60s`) and 59.96 s is `1m00s`; a negative span (clocks of two machines) shows as `0ms`.
 */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  const t = Math.max(0, ms);
  if (Math.round(t) < 1000) return `${Math.round(t)}ms`;
  const tenths = Math.round(t / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)}s`;
  const seconds = Math.round(t / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  const minutes = Math.round(t / 60_000);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

export function when(ms: number | null | undefined): string {
  return ms ? new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-';
}
