// The store hashes definitions with Node's SHA-256 (NODE_SHA256); stored hashes must be exactly
// core's (pure JavaScript) ones, whatever the text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { PURE_SHA256, specHash, type DagDefinition } from '@kontroler/core';
import { NODE_SHA256 } from '@kontroler/store';

test('NODE_SHA256 gives core\'s digests (non-ASCII, lone surrogates, random values, large definitions)', () => {
  const small = { task: [{ name: 'a', command: ['echo é 😀', 'lone \udc00'] }], parameters: [{ name: 'P', defaultValue: 'x' }] } as unknown as DagDefinition;
  assert.equal(specHash(small, NODE_SHA256), specHash(small, PURE_SHA256));
  fc.assert(fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (v, s) => {
    const d = { task: [{ name: s, value: v }] } as unknown as DagDefinition;
    assert.equal(specHash(d, NODE_SHA256), specHash(d, PURE_SHA256));
  }));
  const big = { task: Array.from({ length: 20_000 }, (_, i) => ({ name: `t${i}`, image: 'é😀'.repeat(i % 7), runAfter: [`t${i - 1}`] })) } as unknown as DagDefinition;
  assert.equal(specHash(big, NODE_SHA256), specHash(big));
});
