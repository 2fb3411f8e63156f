// The binder's stand-in for kube-scheduler's NodeSelector filter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeSelectorMatches } from '@kontroler/kube-agent';

test('a pod is bound only when the node has every label its nodeSelector asks for', () => {
  const labels = { 'kubernetes.io/os': 'linux', 'kontroler.dev/local-agent': 'true' };
  assert.equal(nodeSelectorMatches(undefined, labels), true);
  assert.equal(nodeSelectorMatches({}, labels), true);
  assert.equal(nodeSelectorMatches({ 'kubernetes.io/os': 'linux' }, labels), true);
  assert.equal(nodeSelectorMatches({ 'kubernetes.io/os': 'windows' }, labels), false);
  assert.equal(nodeSelectorMatches({ 'kubernetes.io/os': 'linux', disk: 'ssd' }, labels), false);
});
