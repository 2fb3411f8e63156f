// Collects validation errors and gives each one its source location: from the YAML document
// when a locator is known, and from the DSL text for fields that came from `spec.dsl`.

import type { FieldError } from './errors.js';
import { didYouMean, parentPath, type Locator, type SourcePosition } from './field-path.js';

/**
 * How many candidate names all the "did you mean" hints of one validation may compare against
 * in total. A hint costs one edit distance per candidate, so 20,000 unknown task names in a
 * 20,000-task DAG would cost 400 million; past the budget, errors simply come without a hint.
 */
export const MAX_HINT_COMPARISONS = 200_000;

/** An append-only list of located FieldErrors. Not exported from the package. */
export class Report {
  readonly errors: FieldError[] = [];
  private hintBudget = MAX_HINT_COMPARISONS;

  constructor(
    private readonly locate?: Locator,
    private readonly dslPositions: ReadonlyMap<string, SourcePosition> = new Map(),
  ) {}

  /** Adds an error at `path`; fields that came from the DSL get a "(dsl line L, column C)" note. */
  add(path: string, message: string): void {
    const dsl = this.dslPosition(path);
    if (dsl !== undefined) {
      const pos = this.locate?.('spec.dsl', dsl);
      this.errors.push({ path, message: `${message} (dsl line ${dsl.line}, column ${dsl.column})`, ...pos });
      return;
    }
    this.errors.push({ path, message, ...this.locate?.(path) });
  }

  /** ` (did you mean "x"?)` for a name picked from a large list (e.g. task names), within the budget; else ''. */
  hint(word: string, candidates: readonly string[] | ReadonlySet<string>): string {
    const size = 'size' in candidates ? candidates.size : candidates.length;
    if (size > this.hintBudget) return '';
    this.hintBudget -= size;
    return didYouMean(word, candidates);
  }

  /** Adds errors that already have paths, locating those that have no position yet. */
  addAll(errors: readonly FieldError[]): void {
    for (const e of errors) {
      if (e.line !== undefined) this.errors.push(e);
      else this.add(e.path, e.message);
    }
  }

  /** Adds DSL errors (path `spec.dsl`, position relative to the DSL text). */
  addDsl(errors: readonly FieldError[]): void {
    for (const e of errors) {
      const inner = e.line === undefined ? undefined : { line: e.line, column: e.column ?? 1 };
      const where = inner === undefined ? '' : `dsl line ${inner.line}, column ${inner.column}: `;
      this.errors.push({ path: e.path, message: `${where}${e.message}`, ...this.locate?.(e.path, inner) });
    }
  }

  private dslPosition(path: string): SourcePosition | undefined {
    let p: string | undefined = path;
    while (p !== undefined && p.startsWith('spec.')) {
      const pos = this.dslPositions.get(p);
      if (pos !== undefined) return pos;
      p = parentPath(p);
    }
    return undefined;
  }
}
