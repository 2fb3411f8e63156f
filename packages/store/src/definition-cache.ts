// Parsed definition snapshots by DAG version. A version never changes once stored, so a parsed
// definition can be shared by every run of that version: the runs of one 100,000-task DAG hold one
// copy (tens of MB) instead of one each, and a claim skips reading and parsing its ~20 MB jsonb.
import type { DagDefinition } from '@kontroler/core';

/** Most DAG versions a DefinitionCache keeps. */
export const DEFINITION_CACHE_MAX_ENTRIES = 64;

/**
 * Most tasks, summed over its definitions, a DefinitionCache keeps (about 1 KiB of memory each in
 * a typical definition: 200,000 ≈ 200 MiB). A definition larger than this on its own is not kept.
 */
export const DEFINITION_CACHE_MAX_TASKS = 200_000;

export interface DefinitionCacheLimits {
  readonly maxEntries?: number;
  readonly maxTasks?: number;
}

/**
 * A least-recently-used cache of parsed definitions by (dag id, version), bounded by entries and
 * by tasks. Owned by its caller (one per controller); not shared through module state. Evicting
 * only drops the cache's reference: runs still driven keep theirs.
 */
export class DefinitionCache {
  private readonly entries = new Map<string, DagDefinition>();
  private taskCount = 0;
  private readonly maxEntries: number;
  private readonly maxTasks: number;

  constructor(limits: DefinitionCacheLimits = {}) {
    this.maxEntries = limits.maxEntries ?? DEFINITION_CACHE_MAX_ENTRIES;
    this.maxTasks = limits.maxTasks ?? DEFINITION_CACHE_MAX_TASKS;
  }

  /** Versions kept. */
  get size(): number {
    return this.entries.size;
  }

  /** Tasks of the kept versions, summed. */
  get tasks(): number {
    return this.taskCount;
  }

  /** The definition of `dagId`@`version`, marked as just used; undefined when not kept. */
  get(dagId: number, version: number): DagDefinition | undefined {
    const key = `${dagId}@${version}`;
    const def = this.entries.get(key);
    if (def === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, def);
    return def;
  }

  /** Keeps `def`, evicting the least recently used versions past the bounds. */
  set(dagId: number, version: number, def: DagDefinition): void {
    const key = `${dagId}@${version}`;
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.taskCount -= old.tasks.length;
    }
    if (def.tasks.length > this.maxTasks) return;
    this.entries.set(key, def);
    this.taskCount += def.tasks.length;
    for (const [k, d] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.taskCount <= this.maxTasks) break;
      this.entries.delete(k);
      this.taskCount -= d.tasks.length;
    }
  }
}
