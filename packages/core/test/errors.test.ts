import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KontrolerError, messageOf } from '@kontroler/core';

test('messageOf: an Error gives its message, anything else its text', () => {
  assert.equal(messageOf(new KontrolerError('NOT_FOUND', 'run 7 not found')), 'run 7 not found');
  assert.equal(messageOf(new TypeError('bad')), 'bad');
  assert.equal(messageOf('plain'), 'plain');
  assert.equal(messageOf(42), '42');
  assert.equal(messageOf(undefined), 'undefined');
  assert.equal(messageOf({ message: 'not an Error' }), '[object Object]');
});
