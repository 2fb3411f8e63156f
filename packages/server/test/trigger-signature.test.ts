// The inbound trigger signature: the documented signed string, the window at its limit, the
// delivery id at its length limit, and nothing said about requests not signed with the secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { checkTriggerDelivery, signTrigger, signedTriggerHeaders, triggerSignedString } from '@kontroler/server';

const NOW = 1_700_000_000;
const check = (headers: Record<string, string>, body: string, secret: string | undefined = 's', window = 300) =>
  checkTriggerDelivery(secret, { timestamp: headers['x-kontroler-timestamp'], delivery: headers['x-kontroler-delivery'], signature: headers['x-kontroler-signature'] }, body, NOW, window);

test('the signed string is v1:<timestamp>:<delivery>:<body>', () => {
  assert.equal(triggerSignedString(NOW, 'abc', '{"a":1}'), `v1:${NOW}:abc:{"a":1}`);
  assert.equal(signTrigger('s3', 1700000000, 'abc', '{"ref":"v1"}'), 'v1=17b136571aa3de4a5ab3bc35237082e5112e712d79f850bc8c7f58757cb4f53c', 'the example in docs/webhooks.md');
  assert.equal(signTrigger('k', 5, 'd', 'b'), `v1=${createHmac('sha256', 'k').update('v1:5:d:b').digest('hex')}`);
});

test('the window at its limit: 300 s either way is accepted, 301 s is refused naming the skew', () => {
  for (const ts of [NOW - 300, NOW, NOW + 300]) assert.deepEqual(check(signedTriggerHeaders('s', 'id', 'b', ts), 'b'), { ok: true, deliveryId: 'id' });
  for (const ts of [NOW - 301, NOW + 301]) {
    const r = check(signedTriggerHeaders('s', 'id', 'b', ts), 'b');
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.message, /301 s from the server's clock; at most 300 s/);
  }
  assert.equal(check(signedTriggerHeaders('s', 'id', 'b', NOW - 10), 'b', 's', 5).ok, false, 'the window is a setting');
});

test('delivery ids: 1-200 characters of A-Z a-z 0-9 . _ : -', () => {
  assert.equal(check(signedTriggerHeaders('s', 'a'.repeat(200), 'b', NOW), 'b').ok, true);
  for (const id of ['a'.repeat(201), 'has space', 'semi;colon', '']) assert.equal(check(signedTriggerHeaders('s', id, 'b', NOW), 'b').ok, false, id);
});

test('unsigned, wrongly signed, tampered or trigger-less requests all get the same answer', () => {
  const good = signedTriggerHeaders('s', 'id', 'body', NOW);
  const answers = [
    check({}, 'body'),
    check(signedTriggerHeaders('other', 'id', 'body', NOW), 'body'),
    check(good, 'tampered body'),
    check({ ...good, 'x-kontroler-delivery': 'other-id' }, 'body'),
    check({ ...good, 'x-kontroler-timestamp': String(NOW + 1) }, 'body'),
    // No (enabled) trigger: no secret to check against.
    checkTriggerDelivery(undefined, { timestamp: good['x-kontroler-timestamp'], delivery: good['x-kontroler-delivery'], signature: good['x-kontroler-signature'] }, 'body', NOW, 300),
    check({ ...good, 'x-kontroler-signature': `sha256=${createHmac('sha256', 's').update('body').digest('hex')}` }, 'body'),
  ];
  for (const a of answers) assert.equal(a.ok ? 'ok' : a.why, 'unsigned');
  assert.equal(new Set(answers.map((a) => (a.ok ? '' : a.message))).size, 1);
});
