// Where a field path is written in JSON read by json-tree.ts, found when asked instead of
// recorded for every node while the document is read (2.5 million paths for a 100,000-task DAG,
// most never asked for). It answers what load.ts's recorded entries answer for YAML: the
// position of the value at the path, or of its key when the loader does not read the value
// (unknown fields, free-form content), or else of the nearest ancestor it reads.

import type { SourcePosition } from './field-path.js';
import { childPath, parentPath } from './field-path.js';
import { JsonMap, JsonScalar, JsonSeq, type JsonNode, type JsonPair } from './json-tree.js';
import type { Shape } from './schema.js';

/** Pairs of an object are looked up through a Map once it has more than this many. */
const SCAN_LIMIT = 16;

/**
 * A function from a field path to the node the loader read at that path (`node`) and the
 * position to report (`at`: the offset of the value, or of the key). `rootShape` is the shape the
 * root was read with (undefined when the loader read nothing below the root). `maxDepth` is the
 * loader's depth limit. Each answer costs O(depth of the path) (objects of many keys are indexed
 * on first use).
 */
export function jsonPathFinder(
  root: JsonMap,
  rootShape: Shape | undefined,
  maxDepth: number,
): (path: string) => { node: JsonNode | undefined; at: number } {
  const indexes = new WeakMap<JsonMap, Map<string, JsonPair>>();
  const pairOf = (map: JsonMap, key: string): JsonPair | undefined => {
    if (map.items.length <= SCAN_LIMIT) return map.items.find((p) => p.key.value === key);
    let index = indexes.get(map);
    if (index === undefined) {
      index = new Map(map.items.map((p) => [p.key.value as string, p]));
      indexes.set(map, index);
    }
    return index.get(key);
  };
  return (path) => {
    const chain: string[] = [];
    for (let p: string | undefined = path; p !== undefined; p = parentPath(p)) chain.push(p);
    chain.reverse(); // '' first
    let node: JsonNode = root;
    let shape = rootShape;
    let at = root.start;
    for (let i = 1; i < chain.length; i++) {
      const parent = chain[i - 1] ?? '';
      const child = chain[i] ?? '';
      if (shape === undefined || i - 1 > maxDepth) break;
      const step = stepOf(parent, child);
      const next: Child | undefined = step === undefined ? undefined : childOf(node, shape, step, pairOf);
      if (next === undefined) break;
      if (next.node === undefined) return { node: undefined, at: next.at }; // a key the loader did not read below
      node = next.node;
      shape = next.shape;
      at = next.at;
    }
    return { node, at };
  };
}

/** The step from `parent` to `child` (a key or an index), when `child` is how childPath writes it. */
function stepOf(parent: string, child: string): string | number | undefined {
  const raw = child.slice(parent.length);
  let step: string | number | undefined;
  if (raw.startsWith('[') && raw.endsWith(']')) {
    const inner = raw.slice(1, -1);
    if (/^[0-9]+$/.test(inner)) step = Number(inner);
    else {
      try {
        const key: unknown = JSON.parse(inner);
        step = typeof key === 'string' ? key : undefined;
      } catch {
        step = undefined;
      }
    }
  } else step = parent === '' ? raw : raw.startsWith('.') ? raw.slice(1) : undefined;
  return step !== undefined && childPath(parent, step) === child ? step : undefined;
}

interface Child {
  /** Undefined for a key whose value the loader does not read (unknown or free-form fields). */
  node: JsonNode | undefined;
  shape: Shape | undefined;
  at: number;
}

/** The child the loader reads at `step` of `node` read with `shape` (see load.ts `convert`). */
function childOf(
  node: JsonNode,
  shape: Shape,
  step: string | number,
  pairOf: (map: JsonMap, key: string) => JsonPair | undefined,
): Child | undefined {
  if (node instanceof JsonScalar) return undefined;
  if (shape.type === 'array') {
    if (!(node instanceof JsonSeq) || typeof step !== 'number') return undefined;
    const item = node.items[step];
    return item === undefined ? undefined : { node: item, shape: shape.items, at: item.start };
  }
  if (shape.type !== 'map' && shape.type !== 'object') return undefined;
  if (!(node instanceof JsonMap) || typeof step !== 'string') return undefined;
  const pair = pairOf(node, step);
  if (pair === undefined) return undefined;
  if (shape.type === 'map') return { node: pair.value, shape: shape.values, at: pair.value.start };
  const field = Object.prototype.hasOwnProperty.call(shape.fields, step) ? shape.fields[step] : undefined;
  if (field === undefined) return { node: undefined, shape: undefined, at: pair.key.start };
  return { node: pair.value, shape: field, at: pair.value.start };
}
