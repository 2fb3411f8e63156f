// Following a running pod's log through `pods/log?follow=true`, and deciding whether what was
// followed is the whole log once the pod has ended (otherwise the runtime reads it once more).
import type { KubeClient } from '../kube/kube-client.js';

/** How long an ended attempt waits for its follow stream to end by itself before reading the log instead. */
export const FOLLOW_END_WAIT_MS = 10_000;
/** A stream the server ended this much before the container finished missed the end of the log. */
export const FOLLOW_END_SLACK_MS = 2000;

export interface Follow {
  readonly abort: AbortController;
  /** True when the stream ended by itself (normally: the container ended); false when aborted or failed. */
  readonly done: Promise<boolean>;
}

export interface FollowHandlers {
  /** Each chunk of the log, in order, from byte 0 of the log. */
  readonly onChunk: (chunk: Uint8Array) => void;
  /** The stream ended without being aborted (by itself, or failed: it may be followed again). */
  readonly onEnd: () => void;
  readonly log: (msg: string) => void;
}

/** Follows a container's log until it ends or is aborted. Never rejects. */
export function followLog(client: KubeClient, namespace: string, name: string, container: string, h: FollowHandlers): Follow {
  const abort = new AbortController();
  const done = client.stream(`/api/v1/namespaces/${namespace}/pods/${name}/log`, { container, follow: true }, h.onChunk, abort.signal).then(
    () => {
      if (abort.signal.aborted) return false;
      h.onEnd();
      return true;
    },
    (err: unknown) => {
      if (!abort.signal.aborted) {
        h.log(`kube runtime: following the log of ${namespace}/${name} failed: ${err instanceof Error ? err.message : String(err)}; will follow again`);
        h.onEnd();
      }
      return false;
    },
  );
  return { abort, done };
}

/**
 * Whether the followed log is complete for a container that finished at `finishedAt`: the stream
 * ended by itself within FOLLOW_END_WAIT_MS, and not well before the container did.
 */
export async function logComplete(follow: Follow, finishedAt: number | undefined, followEndedAt: () => number | undefined, waitMs = FOLLOW_END_WAIT_MS): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((r) => {
    timer = setTimeout(() => r(false), waitMs);
    timer.unref?.();
  });
  const ended = await Promise.race([follow.done, timeout]);
  clearTimeout(timer);
  return streamCoversEnd(ended, finishedAt, followEndedAt());
}

/** Pure part of `logComplete`: a stream that ended by itself covers the end unless it ended well before the container. */
export function streamCoversEnd(endedByItself: boolean, finishedAt: number | undefined, followEndedAt: number | undefined): boolean {
  if (!endedByItself) return false;
  return !(finishedAt !== undefined && followEndedAt !== undefined && finishedAt > followEndedAt + FOLLOW_END_SLACK_MS);
}

/** The part of `chunk` (at byte `pos` of the log) past the `delivered` bytes, with its offset; undefined when none. */
export function unseenPart(delivered: number, pos: number, chunk: Uint8Array): { readonly offset: number; readonly data: Uint8Array } | undefined {
  const end = pos + chunk.byteLength;
  if (end <= delivered) return undefined;
  const offset = Math.max(pos, delivered);
  return { offset, data: chunk.subarray(offset - pos) };
}
