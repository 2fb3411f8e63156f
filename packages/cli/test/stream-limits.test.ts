// KONTROLER_MAX_EVENT_STREAMS / KONTROLER_MAX_LOG_FOLLOWERS → server config (the bounds
// themselves are tested over real HTTP in packages/server/test: events.test.ts, log follow).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverConfigFrom } from '@kontroler/cli/remote';

test('the stream limits come from the environment; unset, the server defaults stand', () => {
  const { config } = serverConfigFrom({}, { KONTROLER_MAX_EVENT_STREAMS: '250', KONTROLER_MAX_LOG_FOLLOWERS: '40' });
  assert.deepEqual([config.maxEventStreams, config.maxLogFollowers], [250, 40]);
  const none = serverConfigFrom({}, {}).config;
  assert.deepEqual([none.maxEventStreams, none.maxLogFollowers], [undefined, undefined]);
});

test('a bad stream limit stops the start, naming the variable and the range', () => {
  for (const v of ['0', '-1', '1.5', 'many', '100001']) {
    assert.throws(() => serverConfigFrom({}, { KONTROLER_MAX_EVENT_STREAMS: v }), new RegExp(`KONTROLER_MAX_EVENT_STREAMS must be a whole number of streams from 1 to 100000, got "${v.replace('.', '\\.')}"`));
    assert.throws(() => serverConfigFrom({}, { KONTROLER_MAX_LOG_FOLLOWERS: v }), /KONTROLER_MAX_LOG_FOLLOWERS must be a whole number of streams from 1 to 100000/);
  }
});
