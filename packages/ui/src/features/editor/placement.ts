// Where the editor puts a task added with "+ Add task": inside the part of the canvas the user
// sees, on the first free cell, so a new task never lands off screen or on top of another one.
// Pure: the visible rectangle (in flow coordinates) and the taken positions are inputs.
import { NODE_HEIGHT, NODE_WIDTH } from '../graph/layout.js';

export interface Point {
  x: number;
  y: number;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Space kept free around a node (and from the edge of the view). */
export const PLACEMENT_GAP = 24;

function overlaps(a: Point, b: Point, gap: number): boolean {
  return Math.abs(a.x - b.x) < NODE_WIDTH + gap && Math.abs(a.y - b.y) < NODE_HEIGHT + gap;
}

/**
 * The top-left position of a new node: the first cell (row by row, from the view's top-left
 * corner) that lies wholly inside `view` and overlaps no node at `taken`. Undefined when the
 * view has no free cell (the caller then places it elsewhere and brings it into view).
 */
export function spotInView(taken: Iterable<Point>, view: Rect, gap = PLACEMENT_GAP): Point | undefined {
  const nodes = [...taken];
  const stepX = NODE_WIDTH + gap;
  const stepY = NODE_HEIGHT + gap;
  const right = view.x + view.width - gap;
  const bottom = view.y + view.height - gap;
  for (let y = view.y + gap; y + NODE_HEIGHT <= bottom; y += stepY) {
    for (let x = view.x + gap; x + NODE_WIDTH <= right; x += stepX) {
      const p = { x: Math.round(x), y: Math.round(y) };
      if (!nodes.some((n) => overlaps(n, p, gap))) return p;
    }
  }
  return undefined;
}

/** True when a node at `p` lies wholly inside `view`. */
export function insideView(p: Point, view: Rect): boolean {
  return p.x >= view.x && p.y >= view.y && p.x + NODE_WIDTH <= view.x + view.width && p.y + NODE_HEIGHT <= view.y + view.height;
}
