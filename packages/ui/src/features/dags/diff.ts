// Line diff of two versions' YAML (jsdiff), shaped for a side-by-side-free unified view.
import { diffLines } from 'diff';

export interface DiffRow {
  kind: 'same' | 'added' | 'removed';
  text: string;
  /** Line numbers in the old and new text (undefined on the side a line is missing from). */
  oldLine?: number;
  newLine?: number;
}

export function diffRows(oldText: string, newText: string): DiffRow[] {
  const rows: DiffRow[] = [];
  let o = 1;
  let n = 1;
  for (const part of diffLines(oldText, newText)) {
    const lines = part.value.replace(/\n$/, '').split('\n');
    for (const text of lines) {
      if (part.added) rows.push({ kind: 'added', text, newLine: n++ });
      else if (part.removed) rows.push({ kind: 'removed', text, oldLine: o++ });
      else rows.push({ kind: 'same', text, oldLine: o++, newLine: n++ });
    }
  }
  return rows;
}

/**
 * Collapses long unchanged stretches to `context` lines around each change; a collapsed stretch
 * becomes one `{kind: 'same', text: '…', skipped: n}` row.
 */
export function withContext(rows: DiffRow[], context = 3): Array<DiffRow & { skipped?: number }> {
  const keep = rows.map(() => false);
  rows.forEach((r, i) => {
    if (r.kind === 'same') return;
    for (let j = Math.max(0, i - context); j <= Math.min(rows.length - 1, i + context); j++) keep[j] = true;
  });
  const out: Array<DiffRow & { skipped?: number }> = [];
  let skipped = 0;
  rows.forEach((r, i) => {
    if (keep[i]) {
      if (skipped > 0) out.push({ kind: 'same', text: '…', skipped });
      skipped = 0;
      out.push(r);
    } else skipped++;
  });
  if (skipped > 0) out.push({ kind: 'same', text: '…', skipped });
  return out;
}
