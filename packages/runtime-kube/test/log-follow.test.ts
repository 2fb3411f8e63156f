// Log following and the sweep, without an apiserver: which bytes are new, when a followed log is
// complete, and the sweep's choice of pods and its bound per pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { FOLLOW_END_SLACK_MS, SWEEP_MAX_PODS, podEnded, streamCoversEnd, sweepAccounted, unseenPart, type KubeClient } from '@kontroler/runtime-kube';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

test('unseenPart: only the bytes past what was delivered, at their offset', () => {
  assert.equal(unseenPart(0, 0, bytes('')), undefined);
  assert.deepEqual({ ...unseenPart(0, 0, bytes('abc'))!, data: text(unseenPart(0, 0, bytes('abc'))?.data) }, { offset: 0, data: 'abc' });
  // A stream followed again from byte 0 after 5 bytes were delivered (adopted, or re-followed).
  assert.equal(unseenPart(5, 0, bytes('abcde')), undefined);
  const part = unseenPart(5, 3, bytes('defgh'));
  assert.equal(part?.offset, 5);
  assert.equal(text(part?.data), 'fgh');
  assert.equal(text(unseenPart(5, 7, bytes('xy'))?.data), 'xy');
});

test('streamCoversEnd: a stream that ended by itself, not well before the container finished', () => {
  assert.equal(streamCoversEnd(false, 1000, 1000), false);
  assert.equal(streamCoversEnd(true, undefined, undefined), true);
  assert.equal(streamCoversEnd(true, 1000 + FOLLOW_END_SLACK_MS, 1000), true);
  assert.equal(streamCoversEnd(true, 1001 + FOLLOW_END_SLACK_MS, 1000), false);
});

function endedPod(i: number, phase = 'Succeeded'): V1Pod {
  return {
    metadata: { name: `kr-1-t${i}-1`, namespace: 'ns', uid: `u${i}`, annotations: { 'kontroler.greedykomodo/run-id': '1', 'kontroler.greedykomodo/task': `t${i}`, 'kontroler.greedykomodo/attempt': '1' } },
    status: { phase },
  } as V1Pod;
}

/** A client that records the pods the sweep deletes (and accepts the finalizer patch). */
function recordingClient(): { client: KubeClient; deleted: string[] } {
  const deleted: string[] = [];
  const client = {
    async request(method: string, path: string): Promise<unknown> {
      if (method === 'DELETE') deleted.push(path.split('/').pop() ?? '');
      if (method === 'GET') return endedPod(0);
      return {};
    },
  } as unknown as KubeClient;
  return { client, deleted };
}

test('sweep: removes ended, accounted, untracked pods only', async () => {
  const pods = new Map<string, V1Pod>([
    ['a', endedPod(1)],
    ['b', endedPod(2, 'Running')],
    ['c', endedPod(3)],
    ['d', endedPod(4, 'Failed')],
  ]);
  const { client, deleted } = recordingClient();
  const n = await sweepAccounted(client, pods, { tracked: (id) => id === 'c', accounted: async (k) => k.task !== 't4', closed: () => false, log: () => undefined });
  assert.equal(n, 1);
  assert.deepEqual(deleted, ['kr-1-t1-1']);
  assert.equal(podEnded(endedPod(5, 'Running')), false);
  assert.equal(podEnded({ ...endedPod(5, 'Running'), metadata: { ...endedPod(5).metadata, deletionTimestamp: new Date(1) } }), true);
});

test(`sweep: at most SWEEP_MAX_PODS (${SWEEP_MAX_PODS}) pods per pass; the next pass takes the rest`, async () => {
  const pods = new Map<string, V1Pod>();
  for (let i = 0; i < SWEEP_MAX_PODS + 5; i++) pods.set(`k${i}`, endedPod(i));
  const { client, deleted } = recordingClient();
  const deps = { tracked: () => false, accounted: async () => true, closed: () => false, log: () => undefined };
  assert.equal(await sweepAccounted(client, pods, deps), SWEEP_MAX_PODS);
  assert.equal(deleted.length, SWEEP_MAX_PODS);
  for (const name of deleted) pods.delete(`k${name.split('-')[2]?.slice(1)}`);
  assert.equal(await sweepAccounted(client, pods, deps), 5);
});
