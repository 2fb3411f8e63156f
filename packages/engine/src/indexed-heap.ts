// A binary min-heap of node indices (0..n) with a key per node: O(log n) set / remove / pop, O(1)
// peek and membership. Ties are broken by the node index, so the order is deterministic. Grows as
// nodes are added (the node count of a run can grow: mapped task instances).

export class IndexedHeap {
  private readonly heap: number[] = [];
  /** Where each node sits in `heap`; -1 when absent. */
  private readonly where: number[] = [];
  private readonly keys: number[] = [];

  get size(): number {
    return this.heap.length;
  }

  has(i: number): boolean {
    return (this.where[i] ?? -1) >= 0;
  }

  /** The smallest node; undefined when empty. */
  peek(): number | undefined {
    return this.heap[0];
  }

  /** The key of the smallest node; +Infinity when empty. */
  topKey(): number {
    const top = this.heap[0];
    return top === undefined ? Number.POSITIVE_INFINITY : this.key(top);
  }

  /** Makes room for nodes below `n` (so membership reads stay in bounds). */
  grow(n: number): void {
    while (this.where.length < n) {
      this.where.push(-1);
      this.keys.push(0);
    }
  }

  /** Adds node `i` with `key`, or moves it to `key` when present. */
  set(i: number, key: number): void {
    this.grow(i + 1);
    const at = this.where[i] ?? -1;
    const old = this.keys[i] ?? 0;
    this.keys[i] = key;
    if (at < 0) {
      this.heap.push(i);
      this.where[i] = this.heap.length - 1;
      this.up(this.heap.length - 1);
    } else if (key < old) {
      this.up(at);
    } else if (key > old) {
      this.down(at);
    }
  }

  /** Removes node `i` (no-op when absent). */
  remove(i: number): void {
    const at = this.where[i] ?? -1;
    if (at < 0) return;
    this.where[i] = -1;
    const last = this.heap.pop();
    if (last === undefined || at === this.heap.length) return;
    this.heap[at] = last;
    this.where[last] = at;
    this.up(at);
    this.down(this.where[last] ?? at);
  }

  /** Removes and returns the smallest node; undefined when empty. */
  pop(): number | undefined {
    const top = this.heap[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  private key(i: number): number {
    return this.keys[i] ?? 0;
  }

  private less(a: number, b: number): boolean {
    const ka = this.key(a);
    const kb = this.key(b);
    return ka < kb || (ka === kb && a < b);
  }

  private swap(x: number, y: number): void {
    const a = this.heap[x] ?? 0;
    const b = this.heap[y] ?? 0;
    this.heap[x] = b;
    this.heap[y] = a;
    this.where[b] = x;
    this.where[a] = y;
  }

  private up(at: number): void {
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.less(this.heap[at] ?? 0, this.heap[parent] ?? 0)) return;
      this.swap(at, parent);
      at = parent;
    }
  }

  private down(at: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * at + 1;
      const r = l + 1;
      let min = at;
      if (l < n && this.less(this.heap[l] ?? 0, this.heap[min] ?? 0)) min = l;
      if (r < n && this.less(this.heap[r] ?? 0, this.heap[min] ?? 0)) min = r;
      if (min === at) return;
      this.swap(at, min);
      at = min;
    }
  }
}
