/** Commander collector for repeatable options. */
export function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** `K=V` pairs into a map; throws naming the bad one. */
export function parseParams(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new Error(`--param "${p}": expected NAME=VALUE`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}
