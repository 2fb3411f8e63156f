import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandKubeVars as expand } from '@kontroler/kube-agent';

const vars: Record<string, string> = { A: 'x', B: 'y z' };
const lookup = (n: string): string | undefined => vars[n];

test('$(VAR) is replaced when defined and kept otherwise; $$ escapes', () => {
  const cases: Array<[string, string]> = [
    ['plain', 'plain'],
    ['$(A)', 'x'],
    ['pre-$(A)-$(B)-post', 'pre-x-y z-post'],
    ['$(MISSING)', '$(MISSING)'],
    ['$$(A)', '$(A)'],
    ['$$', '$'],
    ['cost: $5', 'cost: $5'],
    ['unterminated $(A', 'unterminated $(A'],
    ['trailing $', 'trailing $'],
  ];
  for (const [input, want] of cases) assert.equal(expand(input, lookup), want, input);
});
