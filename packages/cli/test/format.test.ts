// The terminal's duration format: rounded once at the precision shown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse } from 'yaml';
import { duration, toYaml } from '@kontroler/cli/format';

test('durations round once: no 60 in the seconds or minutes place, no negative spans', () => {
  const cases: Array<[number | null, string]> = [
    [null, '-'],
    [-452, '0ms'],
    [0, '0ms'],
    [999.4, '999ms'],
    [999.6, '1.0s'],
    [1234, '1.2s'],
    [59_940, '59.9s'],
    [59_960, '1m00s'],
    [65_000, '1m05s'],
    [119_770, '2m00s'],
    [3_599_600, '1h00m'],
    [3_600_000, '1h00m'],
    [7_410_000, '2h04m'],
  ];
  for (const [ms, text] of cases) assert.equal(duration(ms), text, `${ms} ms`);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 10 * 86_400_000 }), (ms) => {
      const m = /^(\d+)[mh](\d\d)[sm]$/.exec(duration(ms));
      if (m) assert.ok(Number(m[2]) < 60, `${ms} ms is ${duration(ms)}`);
    }),
  );
});

test('-o yaml is YAML 1.1, as apply reads it: n, yes, on and off stay strings', () => {
  const data = { outputs: { n: 'y', flag: 'on', answer: 'yes', off: 'off', count: '3' } };
  assert.deepEqual(parse(toYaml(data), { version: '1.1' }), data);
});
