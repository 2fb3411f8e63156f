// Sets the browser tab's title while a page is shown (every page calls it; see title.ts).
import { useEffect } from 'react';
import { pageTitle } from './title.js';

/** `useTitle('Run #12', 'etl-wide')` → `Run #12 · etl-wide — Kontroler`. */
export function useTitle(...parts: ReadonlyArray<string | undefined | null | false>): void {
  const title = pageTitle(...parts);
  useEffect(() => {
    document.title = title;
  }, [title]);
}
