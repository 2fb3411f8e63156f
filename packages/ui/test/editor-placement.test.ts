import { test } from 'node:test';
import assert from 'node:assert/strict';
import { insideView, PLACEMENT_GAP, spotInView } from '../dist-lib/features/editor/placement.js';
import { NODE_HEIGHT, NODE_WIDTH } from '../dist-lib/features/graph/layout.js';

const view = { x: -300, y: 100, width: 700, height: 400 };

test('the first task goes to the top-left cell of the view, inside it', () => {
  const p = spotInView([], view);
  assert.deepEqual(p, { x: -300 + PLACEMENT_GAP, y: 100 + PLACEMENT_GAP });
  assert.ok(insideView(p!, view));
});

test('taken cells are skipped; every spot found is inside the view and clear of every node', () => {
  const taken: Array<{ x: number; y: number }> = [{ x: -280, y: 120 }, { x: 0, y: 300 }];
  for (let i = 0; i < 20; i++) {
    const p = spotInView(taken, view);
    if (!p) break;
    assert.ok(insideView(p, view), `${JSON.stringify(p)} inside`);
    for (const t of taken) assert.ok(Math.abs(t.x - p.x) >= NODE_WIDTH || Math.abs(t.y - p.y) >= NODE_HEIGHT, `${JSON.stringify(p)} clear of ${JSON.stringify(t)}`);
    taken.push(p);
  }
  assert.ok(taken.length > 6, 'the view holds several tasks');
  assert.equal(spotInView(taken, view), undefined, 'a full view has no spot');
});

test('a view smaller than a node has no spot', () => {
  assert.equal(spotInView([], { x: 0, y: 0, width: NODE_WIDTH, height: NODE_HEIGHT }), undefined);
  assert.equal(insideView({ x: 10, y: 10 }, { x: 0, y: 0, width: 100, height: 100 }), false);
});
