// A set of node indices (0..n) with O(1) add / delete / has and iteration over its members only:
// a dense list plus each node's slot in it. Cheaper than a Set<number> for the engine's per-run
// sets (no hashing), and grows as nodes are added.

export class IndexedSet {
  private readonly items: number[] = [];
  /** Where each node sits in `items`; -1 when absent. */
  private readonly slot: number[] = [];

  get size(): number {
    return this.items.length;
  }

  /** Makes room for nodes below `n` (so membership reads stay in bounds). */
  grow(n: number): void {
    while (this.slot.length < n) this.slot.push(-1);
  }

  has(i: number): boolean {
    return (this.slot[i] ?? -1) >= 0;
  }

  add(i: number): void {
    if (this.has(i)) return;
    this.grow(i + 1);
    this.slot[i] = this.items.length;
    this.items.push(i);
  }

  delete(i: number): void {
    const at = this.slot[i] ?? -1;
    if (at < 0) return;
    this.slot[i] = -1;
    const last = this.items.pop();
    if (last === undefined || last === i) return;
    this.items[at] = last;
    this.slot[last] = at;
  }

  /** The members, smallest first: O(k log k). */
  sorted(): number[] {
    return [...this.items].sort((a, b) => a - b);
  }
}
