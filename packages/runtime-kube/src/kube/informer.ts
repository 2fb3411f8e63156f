// List-then-watch with a local cache, the way client-go's reflector + informer do it: watch from
// the list's resourceVersion, follow bookmarks, resume from the last seen resourceVersion when
// the server closes the stream, and list again (emitting the differences) on 410 Gone. One
// informer per kind and scope, shared by everything in the process that needs that kind.
import { KontrolerError } from '@kontroler/core';
import type { KubeClient, WatchEvent } from './kube-client.js';
import { statusOf } from './kube-error.js';
import { objectKey, type KubeList, type KubeObject } from './objects.js';

export type InformerEvent<T> =
  | { readonly type: 'added' | 'updated'; readonly object: T; readonly old?: T }
  | { readonly type: 'deleted'; readonly object: T }
  /**
   * A (re-)list of one scope finished; every difference was emitted before it. `relist`: the
   * scope was listed or watched before (a 410 Gone, or a start from `resourceVersion`).
   */
  | { readonly type: 'synced'; readonly namespace: string | undefined; readonly resourceVersion: string; readonly relist: boolean };

export interface InformerOptions<T extends KubeObject> {
  readonly client: KubeClient;
  /** Collection path for a namespace, or cluster-wide for undefined. */
  readonly path: (namespace: string | undefined) => string;
  /** Watch only these namespaces (one list+watch each); undefined = cluster-wide. */
  readonly namespaces?: readonly string[];
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Objects outside this filter are neither cached nor reported (e.g. namespaces of another shard). */
  readonly filter?: (obj: T) => boolean;
  readonly onEvent: (ev: InformerEvent<T>) => void;
  readonly onError?: (err: unknown) => void;
  /** Items per list page (default 500). */
  readonly pageSize?: number;
  /** Server-side watch timeout; default 5-10 minutes (randomised, as client-go), then the watch resumes. */
  readonly watchTimeoutSeconds?: number;
  /** Ask for bookmarks (progress of the resourceVersion without changes); default true. */
  readonly bookmarks?: boolean;
  /**
   * Watch from this resourceVersion first instead of listing (one scope only): a resumed watch,
   * or `'0'` for every object as ADDED, then every change. Lists when it has expired (410).
   */
  readonly resourceVersion?: string;
}

const MAX_BACKOFF_MS = 5_000;

export class Informer<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly scopes: Array<string | undefined>;
  private readonly pendingSync: Set<string | undefined>;
  /** Scopes listed (or watched from a given resourceVersion) at least once. */
  private readonly watched = new Set<string | undefined>();
  private readonly aborts = new Set<AbortController>();
  private readonly stopping = new AbortController();
  private syncWaiters: Array<() => void> = [];
  private loops: Array<Promise<void>> = [];
  private stopped = false;
  private started = false;
  /** Watches (re)opened and lists done, for tests and benchmarks. */
  readonly counters = { lists: 0, watches: 0, expired: 0 };

  constructor(private readonly o: InformerOptions<T>) {
    this.scopes = o.namespaces ? [...new Set(o.namespaces)] : [undefined];
    if (o.resourceVersion !== undefined && this.scopes.length > 1) {
      throw new KontrolerError('VALIDATION_FAILED', `informer ${o.path(undefined)}: a start resourceVersion needs one scope, not ${this.scopes.length} namespaces`);
    }
    this.pendingSync = new Set(this.scopes);
  }

  start(): this {
    if (this.started) return this;
    this.started = true;
    this.loops = this.scopes.map((ns) => this.loop(ns));
    return this;
  }

  /** Resolves once every scope has been listed at least once. */
  synced(): Promise<void> {
    if (this.pendingSync.size === 0) return Promise.resolve();
    return new Promise((r) => this.syncWaiters.push(r));
  }

  get isSynced(): boolean {
    return this.pendingSync.size === 0;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(`${namespace ?? ''}/${name}`);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    for (const a of this.aborts) a.abort();
    await Promise.allSettled(this.loops);
    for (const w of this.syncWaiters.splice(0)) w();
  }

  private async loop(ns: string | undefined): Promise<void> {
    let rv: string | undefined = this.o.resourceVersion;
    if (rv !== undefined) this.watched.add(ns);
    let failures = 0;
    while (!this.stopped) {
      try {
        if (rv === undefined) rv = await this.relist(ns);
        if (this.stopped) break;
        rv = await this.watchFrom(ns, rv);
        failures = 0;
      } catch (err) {
        if (this.stopped) break;
        if (statusOf(err) === 410) {
          this.counters.expired++;
          rv = undefined;
          continue;
        }
        failures++;
        this.o.onError?.(new Error(`informer ${this.o.path(ns)}: ${err instanceof Error ? err.message : String(err)}; retrying`, { cause: err }));
        await this.pause(Math.min(MAX_BACKOFF_MS, 100 * 2 ** failures));
      }
    }
  }

  private async relist(ns: string | undefined): Promise<string> {
    this.counters.lists++;
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.o.client.request<KubeList<T>>('GET', this.o.path(ns), {
        query: { labelSelector: this.o.labelSelector, fieldSelector: this.o.fieldSelector, limit: this.o.pageSize ?? 500, continue: cont },
      });
      items.push(...page.items);
      cont = page.metadata?.continue || undefined;
      rv = page.metadata?.resourceVersion ?? rv;
    } while (cont);
    const seen = new Set<string>();
    for (const raw of items) {
      // List items carry no apiVersion/kind; the watch's do. Keep them comparable.
      const item = raw;
      if (this.o.filter && !this.o.filter(item)) continue;
      const k = objectKey(item);
      seen.add(k);
      const before = this.cache.get(k);
      this.cache.set(k, item);
      if (!before) this.emit({ type: 'added', object: item });
      else if (before.metadata?.resourceVersion !== item.metadata?.resourceVersion) this.emit({ type: 'updated', object: item, old: before });
    }
    for (const [k, item] of this.cache) {
      if (seen.has(k) || (ns !== undefined && item.metadata?.namespace !== ns)) continue;
      this.cache.delete(k);
      this.emit({ type: 'deleted', object: item });
    }
    this.pendingSync.delete(ns);
    if (this.pendingSync.size === 0) for (const w of this.syncWaiters.splice(0)) w();
    const relist = this.watched.has(ns);
    this.watched.add(ns);
    this.emit({ type: 'synced', namespace: ns, resourceVersion: rv, relist });
    return rv;
  }

  /** Watches until the server closes the stream; returns the last resourceVersion seen. */
  private async watchFrom(ns: string | undefined, from: string): Promise<string> {
    let rv = from;
    let expired = false;
    const abort = new AbortController();
    this.aborts.add(abort);
    this.counters.watches++;
    try {
      await this.o.client.watch(
        this.o.path(ns),
        {
          resourceVersion: rv,
          allowWatchBookmarks: this.o.bookmarks !== false,
          labelSelector: this.o.labelSelector,
          fieldSelector: this.o.fieldSelector,
          // As client-go: the server ends the watch after 5-10 minutes and we resume.
          timeoutSeconds: this.o.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300),
        },
        (ev: WatchEvent) => {
          if (ev.type === 'ERROR') {
            const s = ev.object as { code?: number; message?: string };
            if (s.code === 410) expired = true;
            else this.o.onError?.(new Error(`watch ${this.o.path(ns)}: ${s.message ?? JSON.stringify(ev.object)}`));
            abort.abort();
            return;
          }
          const obj = ev.object as T;
          const objRv = obj.metadata?.resourceVersion;
          if (objRv) rv = objRv;
          if (ev.type === 'BOOKMARK') return;
          this.apply(ev.type, obj);
        },
        abort.signal,
      );
    } catch (err) {
      if (!expired && !abort.signal.aborted) throw err;
    } finally {
      this.aborts.delete(abort);
    }
    if (expired) {
      this.counters.expired++;
      return this.relist(ns);
    }
    return rv;
  }

  private apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T): void {
    const k = objectKey(obj);
    const before = this.cache.get(k);
    if (this.o.filter && !this.o.filter(obj)) {
      if (before) {
        this.cache.delete(k);
        this.emit({ type: 'deleted', object: before });
      }
      return;
    }
    if (type === 'DELETED') {
      this.cache.delete(k);
      this.emit({ type: 'deleted', object: obj });
      return;
    }
    this.cache.set(k, obj);
    this.emit(before ? { type: 'updated', object: obj, old: before } : { type: 'added', object: obj });
  }

  private emit(ev: InformerEvent<T>): void {
    if (this.stopped) return;
    try {
      this.o.onEvent(ev);
    } catch (err) {
      this.o.onError?.(err);
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.stopping.signal.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.stopping.signal.addEventListener('abort', done);
    });
  }
}
