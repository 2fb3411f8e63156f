// What the engine needs to know about a definition, computed once per definition: each task's
// position, spec, upstream count and downstream tasks. Append-only: tasks added to the end of
// `def.tasks` (mapped task instances, later) join it in O(their edges), and the per-run indexes
// of that definition grow with it.
import type { DagDefinition, ResolvedTask } from '@kontroler/core';

/** The downstream list of a task nothing runs after (most tasks of a wide DAG): one shared empty list. */
const NONE: readonly number[] = [];

export class DagIndex {
  /** The definition's task list this index mirrors (a different list means a new index). */
  readonly source: readonly ResolvedTask[];
  readonly specs: ResolvedTask[] = [];
  readonly position = new Map<string, number>();
  /** Per task: the tasks that run after it, one entry per `runAfter` entry naming it (NONE when none). */
  readonly downstream: (readonly number[])[] = [];
  /** `runAfter` names not (yet) defined → the tasks naming them; such an upstream counts as pending. */
  private readonly unresolved = new Map<string, number[]>();

  constructor(def: DagDefinition) {
    this.source = def.tasks;
    this.appendFrom(def.tasks);
  }

  get size(): number {
    return this.specs.length;
  }

  /** Adds the tasks of `tasks` past `size` (tasks appended to the definition). */
  appendFrom(tasks: readonly ResolvedTask[]): void {
    for (let i = this.specs.length; i < tasks.length; i++) {
      const spec = tasks[i];
      if (spec) this.add(spec);
    }
  }

  private link(up: number, down: number): void {
    const list = this.downstream[up];
    if (list === undefined || list === NONE) this.downstream[up] = [down];
    else (list as number[]).push(down);
  }

  private add(spec: ResolvedTask): void {
    const i = this.specs.length;
    this.specs.push(spec);
    this.downstream.push(NONE);
    // Names are unique in a valid definition; should one repeat, events reach its first task.
    if (!this.position.has(spec.name)) this.position.set(spec.name, i);
    const waiting = this.unresolved.get(spec.name);
    if (waiting) {
      this.unresolved.delete(spec.name);
      for (const d of waiting) this.link(i, d);
    }
    for (const up of spec.runAfter) {
      const u = this.position.get(up);
      if (u !== undefined) {
        this.link(u, i);
      } else {
        const list = this.unresolved.get(up);
        if (list) list.push(i);
        else this.unresolved.set(up, [i]);
      }
    }
  }
}

const cache = new WeakMap<DagDefinition, DagIndex>();

/**
 * The index of `def`, built once and cached with the definition object. Definitions are treated as
 * immutable except that tasks may be appended to `def.tasks`; replacing `def.tasks` builds a new index.
 */
export function dagIndexOf(def: DagDefinition): DagIndex {
  let idx = cache.get(def);
  if (!idx || idx.source !== def.tasks || idx.size > def.tasks.length) {
    idx = new DagIndex(def);
    cache.set(def, idx);
  } else if (idx.size < def.tasks.length) {
    idx.appendFrom(def.tasks);
  }
  return idx;
}
