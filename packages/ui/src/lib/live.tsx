// Live updates: the server's change streams (Server-Sent Events fed by the store's NOTIFY) tell a
// view that what it shows changed; the view then reads it again. Views poll only while no stream
// is open (the server has none, too many are open, or the connection dropped and is retrying).
import { useEffect, useRef, useState } from 'react';

/**
 * Opens the change stream at `path` (the browser reconnects by itself, sending Last-Event-ID) and
 * calls `onChange` after each of the `events`, at most once per `minGapMs` (changes in between are
 * shown together, by the trailing call); `onData`, if given, gets every event's data at once (a
 * stream that pushes the view itself). Returns whether the stream is open now.
 */
export function useLiveEvents(path: string | undefined, events: readonly string[], onChange: () => void, minGapMs = 100, onData?: (event: string, data: string) => void): boolean {
  const [open, setOpen] = useState(false);
  const callback = useRef(onChange);
  callback.current = onChange;
  const dataCallback = useRef(onData);
  dataCallback.current = onData;
  const names = events.join(',');
  useEffect(() => {
    if (path === undefined || typeof EventSource === 'undefined') return undefined;
    const source = new EventSource(path);
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const fire = (): void => {
      timer = undefined;
      last = Date.now();
      callback.current();
    };
    const changed = (): void => {
      if (timer !== undefined) return;
      const wait = last + minGapMs - Date.now();
      if (wait <= 0) fire();
      else timer = setTimeout(fire, wait);
    };
    source.onopen = () => setOpen(true);
    // Dropped: the browser retries (the server asks for 2 s); refused (4xx): it gives up. Views poll meanwhile.
    source.onerror = () => setOpen(source.readyState === EventSource.OPEN);
    for (const e of names.split(',')) {
      source.addEventListener(e, (m) => {
        dataCallback.current?.(e, (m as MessageEvent<string>).data);
        changed();
      });
    }
    return () => {
      source.close();
      if (timer !== undefined) clearTimeout(timer);
      setOpen(false);
    };
  }, [path, names, minGapMs]);
  return open;
}
