// What the API needs of a run's definition to show its tasks and graph, built once per DAG version
// and kept in a small LRU (RunIndexCache): the run's tasks by position, its graph when it is small
// enough to draw, and otherwise the graph grouped by name prefix. Building it is pure and linear in
// tasks + edges; the cache is the server's (one per process, passed in: no module state).
import { KontrolerError, type DagDefinition, type TriggerRule } from '@kontroler/core';
import type { Queryable } from './db.js';
import { getDagDefinition } from './dags.js';

/** Above this many tasks a run's graph is not sent node by node: it is grouped (graphSummary). */
export const GRAPH_MAX_NODES = 2000;
/** DAG versions a RunIndexCache keeps at most. */
export const RUN_INDEX_CACHE_MAX_VERSIONS = 32;
/** Tasks (summed over the cached versions) a RunIndexCache keeps at most; the newest entry always stays. */
export const RUN_INDEX_CACHE_MAX_TASKS = 400_000;

/** The fields of a task spec the API shows next to its state. */
export interface TaskBrief {
  readonly name: string;
  readonly runAfter: readonly string[];
  readonly image: string;
  readonly triggerRule: TriggerRule;
  readonly retryLimit: number;
  /** A mapped task (withItems / withParam): its instances are listed with `mapOf`. */
  readonly mapped?: true;
  /** An approval task: what it asks, the inputs a decision gives, its timeout. */
  readonly approval?: { readonly message: string; readonly inputs: readonly string[]; readonly onTimeout: 'Reject' | 'Approve'; readonly timeoutSeconds?: number };
  /** A dagRef task: the DAG it runs as a child run. */
  readonly dagRef?: { readonly name: string };
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
}

/** The tasks of a large DAG grouped by name prefix (`taskGroupOf`), without their statuses. */
export interface TaskGroups {
  /** Every group, in order of first appearance in the definition (a group's index is its `grp`). */
  readonly ids: readonly string[];
  /** Tasks per group (same order as `ids`). */
  readonly sizes: readonly number[];
  /** Edges between groups (indexes into `ids`), each once, no self-edges. */
  readonly edges: ReadonlyArray<readonly [number, number]>;
}

export interface RunIndex {
  /** `dagId@version`. */
  readonly key: string;
  /** The tasks by position (index in the definition). */
  readonly tasks: readonly TaskBrief[];
  /** Task name → position. */
  readonly positions: ReadonlyMap<string, number>;
  /** The graph, when the DAG has at most GRAPH_MAX_NODES tasks. */
  readonly graph?: { readonly nodes: readonly string[]; readonly edges: readonly GraphEdge[] };
  /** The grouped graph, when it has more. */
  readonly groups?: TaskGroups;
}

/**
 * The group of a task in a grouped graph: its name without a trailing run of digits and `-_.`
 * (`shard-00042` → `shard`, `load.eu_3` → `load.eu`); a name that is nothing but those is its
 * own group. Pure.
 */
export function taskGroupOf(name: string): string {
  const stripped = name.replace(/[-_.0-9]+$/, '');
  return stripped === '' ? name : stripped;
}

/** Groups a DAG's tasks by `taskGroupOf`, with the group of each task by position; linear in tasks + edges. Pure. */
export function groupTasks(tasks: readonly Pick<TaskBrief, 'name' | 'runAfter'>[]): TaskGroups & { readonly of: readonly number[] } {
  const index = new Map<string, number>();
  const ids: string[] = [];
  const sizes: number[] = [];
  const groupOf = new Map<string, number>();
  const of: number[] = [];
  for (const t of tasks) {
    const id = taskGroupOf(t.name);
    let g = index.get(id);
    if (g === undefined) {
      g = ids.length;
      index.set(id, g);
      ids.push(id);
      sizes.push(0);
    }
    sizes[g] = (sizes[g] ?? 0) + 1;
    groupOf.set(t.name, g);
    of.push(g);
  }
  const seen = new Set<number>();
  const edges: Array<readonly [number, number]> = [];
  for (const t of tasks) {
    const to = groupOf.get(t.name);
    for (const up of t.runAfter) {
      const from = groupOf.get(up);
      if (from === undefined || to === undefined || from === to) continue;
      const k = from * ids.length + to;
      if (seen.has(k)) continue;
      seen.add(k);
      edges.push([from, to]);
    }
  }
  return { ids, sizes, edges, of };
}

/**
 * The task rows a new run of `def` gets: names in definition order and, for a DAG of more than
 * GRAPH_MAX_NODES tasks, each task's group (`grp`, as `groupTasks` numbers them); `groups` is
 * empty for smaller DAGs. Pure.
 */
export function taskRowsOf(def: Pick<DagDefinition, 'tasks'>): { names: string[]; groups: number[] } {
  const names = def.tasks.map((t) => t.name);
  return { names, groups: def.tasks.length > GRAPH_MAX_NODES ? [...groupTasks(def.tasks).of] : [] };
}

/** The index of a definition (see RunIndex). Pure, linear in tasks + edges. */
export function buildRunIndex(key: string, def: DagDefinition): RunIndex {
  const tasks: TaskBrief[] = def.tasks.map((t) => ({
    name: t.name,
    runAfter: t.runAfter,
    image: t.image,
    triggerRule: t.triggerRule,
    retryLimit: t.retryLimit,
    ...(t.withItems !== undefined || t.withParam !== undefined ? { mapped: true as const } : {}),
    ...(t.approval ? { approval: t.approval } : {}),
    ...(t.dagRef ? { dagRef: { name: t.dagRef.name } } : {}),
  }));
  const positions = new Map(tasks.map((t, i) => [t.name, i]));
  if (tasks.length <= GRAPH_MAX_NODES) {
    return {
      key,
      tasks,
      positions,
      graph: { nodes: tasks.map((t) => t.name), edges: tasks.flatMap((t) => t.runAfter.map((from) => ({ from, to: t.name }))) },
    };
  }
  const { of: _byPosition, ...groups } = groupTasks(tasks);
  return { key, tasks, positions, groups };
}

/**
 * RunIndexes by DAG version, least recently used evicted past RUN_INDEX_CACHE_MAX_VERSIONS
 * versions or RUN_INDEX_CACHE_MAX_TASKS tasks. A version's definition never changes, so an entry
 * is never stale. Concurrent misses of one version share one load.
 */
export class RunIndexCache {
  private readonly entries = new Map<string, Promise<RunIndex>>();
  private readonly sizes = new Map<string, number>();
  private tasks = 0;

  constructor(
    private readonly maxVersions = RUN_INDEX_CACHE_MAX_VERSIONS,
    private readonly maxTasks = RUN_INDEX_CACHE_MAX_TASKS,
  ) {}

  /** Versions held (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The index of a DAG version, read from the store on a miss. Throws NOT_FOUND when the version
   * does not exist, INVALID_STATE for a definition format this code cannot read (not cached).
   */
  get(db: Queryable, dagId: number, version: number): Promise<RunIndex> {
    const key = `${dagId}@${version}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const p = loadIndex(db, key, dagId, version);
    this.entries.set(key, p);
    p.then(
      (ix) => {
        if (this.entries.get(key) !== p) return;
        this.sizes.set(key, ix.tasks.length);
        this.tasks += ix.tasks.length;
        this.evict(key);
      },
      () => {
        if (this.entries.get(key) === p) this.entries.delete(key);
      },
    );
    return p;
  }

  private evict(keep: string): void {
    for (const k of this.entries.keys()) {
      if (this.entries.size <= this.maxVersions && this.tasks <= this.maxTasks) return;
      if (k === keep) continue;
      this.entries.delete(k);
      this.tasks -= this.sizes.get(k) ?? 0;
      this.sizes.delete(k);
    }
  }
}

async function loadIndex(db: Queryable, key: string, dagId: number, version: number): Promise<RunIndex> {
  const def = await getDagDefinition(db, dagId, version);
  if (!def) throw new KontrolerError('NOT_FOUND', `DAG version ${key} not found`);
  return buildRunIndex(key, def);
}
