// The browser tab's title: what the page shows, most specific first, then the product.

/** `Run #12 · etl-wide — Kontroler`; empty parts are left out; no parts: `Kontroler`. Pure. */
export function pageTitle(...parts: ReadonlyArray<string | undefined | null | false>): string {
  const named = parts.filter((p): p is string => typeof p === 'string' && p.trim() !== '');
  return named.length === 0 ? 'Kontroler' : `${named.join(' · ')} — Kontroler`;
}
