import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { messageOf } from './kube-errors.js';

export type ReflectorEvent<T> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: T }
  /** A (re-)list finished; the differences to what was known were emitted just before. */
  | { type: 'SYNCED'; resourceVersion: string; relist: boolean };

export interface ReflectorOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  /** Collection path, e.g. `/api/v1/pods` or `/api/v1/namespaces/ns/configmaps`. */
  path: string;
  fieldSelector?: string;
  labelSelector?: string;
  /** A consistent list of the collection (same selectors as the watch). */
  list(): Promise<{ items: T[]; resourceVersion: string }>;
  onEvent(event: ReflectorEvent<T>): void;
  /** Errors the reflector recovers from by itself (it lists or watches again after a back-off). */
  onError?(err: unknown): void;
  /** Resume a watch from this resourceVersion instead of listing first. */
  resourceVersion?: string;
}

export interface Reflector {
  /** Stops watching; idempotent. No event is delivered after it resolves. */
  stop(): Promise<void>;
}

type WatchEnd = { kind: 'closed' } | { kind: 'expired' } | { kind: 'failed'; err: unknown };

const MAX_BACKOFF_MS = 5_000;

/**
 * Lists and watches a collection the way client-go's reflector does: watch from the list's
 * resourceVersion, follow bookmarks, watch again when the server closes the stream, and list
 * again (emitting the differences) when the server answers 410 Gone. Never gives up until
 * stopped; errors are reported through `onError`.
 */
export function startReflector<T extends KubernetesObject>(opts: ReflectorOptions<T>): Reflector {
  const known = new Map<string, T>();
  let resourceVersion = opts.resourceVersion;
  let stopped = false;
  let abort: AbortController | undefined;
  let wake: (() => void) | undefined;

  const emit = (event: ReflectorEvent<T>): void => {
    if (!stopped) opts.onEvent(event);
  };

  async function relist(): Promise<void> {
    const relisting = known.size > 0 || opts.resourceVersion !== undefined;
    const { items, resourceVersion: rv } = await opts.list();
    const seen = new Set<string>();
    for (const item of items) {
      const k = keyOf(item);
      seen.add(k);
      const before = known.get(k);
      known.set(k, item);
      if (!before) emit({ type: 'ADDED', object: item });
      else if (before.metadata?.resourceVersion !== item.metadata?.resourceVersion) emit({ type: 'MODIFIED', object: item });
    }
    for (const [k, item] of known) {
      if (!seen.has(k)) {
        known.delete(k);
        emit({ type: 'DELETED', object: item });
      }
    }
    resourceVersion = rv;
    emit({ type: 'SYNCED', resourceVersion: rv, relist: relisting });
  }

  function watchOnce(rv: string): Promise<WatchEnd> {
    return new Promise((resolve) => {
      let expired = false;
      const query: Record<string, string | boolean> = { resourceVersion: rv, allowWatchBookmarks: true };
      if (opts.fieldSelector) query.fieldSelector = opts.fieldSelector;
      if (opts.labelSelector) query.labelSelector = opts.labelSelector;
      const onEvent = (type: string, object: unknown): void => {
        if (type === 'ERROR') {
          const status = object as { code?: number; message?: string };
          if (status.code === 410) expired = true;
          else opts.onError?.(new Error(`watch ${opts.path}: server sent an error: ${status.message ?? JSON.stringify(object)}`));
          return;
        }
        const obj = object as T;
        const objRv = obj.metadata?.resourceVersion;
        if (objRv) resourceVersion = objRv;
        if (type === 'BOOKMARK') return;
        if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
        const k = keyOf(obj);
        if (type === 'DELETED') known.delete(k);
        else known.set(k, obj);
        emit({ type, object: obj });
      };
      const onDone = (err: unknown): void => {
        abort = undefined;
        if (expired || httpStatus(err) === 410) resolve({ kind: 'expired' });
        else if (err && !stopped) resolve({ kind: 'failed', err });
        else resolve({ kind: 'closed' });
      };
      new Watch(opts.kubeConfig).watch(opts.path, query, onEvent, onDone).then(
        (controller) => {
          abort = controller;
          if (stopped) controller.abort();
        },
        (err: unknown) => onDone(err),
      );
    });
  }

  async function loop(): Promise<void> {
    let failures = 0;
    while (!stopped) {
      try {
        if (resourceVersion === undefined) await relist();
        if (stopped) break;
        const end = await watchOnce(resourceVersion as string);
        if (end.kind === 'expired') resourceVersion = undefined;
        if (end.kind !== 'failed') {
          failures = 0;
          continue;
        }
        throw end.err;
      } catch (err) {
        if (stopped) break;
        failures++;
        opts.onError?.(new Error(`reflector ${opts.path}: ${messageOf(err)}; retrying`, { cause: err }));
        await pause(Math.min(MAX_BACKOFF_MS, 100 * 2 ** failures));
      }
    }
  }

  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  const running = loop();
  return {
    async stop() {
      stopped = true;
      // Not synchronously: aborting client-node's watch from inside its own line callback (where
      // onEvent runs) makes node-fetch raise an uncaught AbortError.
      const controller = abort;
      if (controller) setImmediate(() => controller.abort());
      wake?.();
      await running;
    },
  };
}

function keyOf(obj: KubernetesObject): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

function httpStatus(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}
