// The hash output is stored (DAG and DagTask versions are compared by it): these values were
// computed by the hand-written SHA-256 core had before @noble/hashes, and must never change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dagTaskSpecHash, sha256Hex, specHash, utf8Bytes, type DagDefinition } from '@kontroler/core';

test('stored version hashes are byte-identical to the earlier implementation', () => {
  const definition = {
    task: [
      { name: 'a', image: 'alpine', command: ['sh', '-c', 'echo é 😀'], parameters: ['P'] },
      { name: 'b', image: 'alpine', script: 'echo \ud800', runAfter: ['a'] },
    ],
    parameters: [{ name: 'P', defaultValue: 'x' }],
    schedule: '*/5 * * * *',
  } as unknown as DagDefinition;
  assert.equal(specHash(definition), '6ab2e76833b741e6d9f0c7c1d4b321e8efc5f9aecea5b2800bef10c72785d58e');
  assert.equal(dagTaskSpecHash({ image: 'x', script: 'y' }), '673b01ac9e9fbad81e784f0ed7358a0928c3b2cf0f648d0a54d49337aec87332');
  assert.equal(sha256Hex('a'.repeat(1000)), '41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3');
});

test('lone surrogates hash as U+FFFD, as before', () => {
  assert.equal(sha256Hex('\ud800x\udc00'), 'aab1b7c16eb72ab93c7ad9e5a498d7f2a5417114f1f5161bf560373cca153e6d');
  assert.deepEqual([...utf8Bytes('\ud800')], [0xef, 0xbf, 0xbd]);
  assert.equal(sha256Hex(utf8Bytes('abc')), sha256Hex('abc'));
});
