// One viewer for live and stored output. A running attempt is followed over SSE (stored output
// first, then live) and the view sticks to the bottom unless the user scrolls up; when the
// attempt ends following ends and the text stays. Lines are virtualised (only the visible ones are
// in the DOM), so logs of many megabytes scroll smoothly; ANSI colours, search with next/previous
// and "only matching lines", line wrap, per-line times (when each line's chunk was stored: GET
// .../log-chunks), full screen (Esc leaves it), download. Lines are numbered as the task's: the
// runtime's own notices carry no number (log-lines.ts); a line number is a link (`#L120`) that
// selects and scrolls to that line when the page opens with it.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useApi, errorText } from '../../api.js';
import { formatBytes } from '../../lib/format.js';
import { LogText, findMatches, markSpans, type Line } from './ansi.js';
import { lineFromHash, lineTimeLabel, lineTimes, shownLines, type ChunkTime } from './log-lines.js';

const ROW = 18;
/** Chunk times read for one log at most (pages of 10,000): lines past them show no time. */
const MAX_CHUNK_TIMES = 200_000;

interface Props {
  runId: number;
  task: string;
  attempt: number;
  /** The attempt may still write output: follow it. */
  live: boolean;
}

export function LogViewer({ runId, task, attempt, live }: Props) {
  const api = useApi();
  const location = useLocation();
  const nav = useNavigate();
  const [log] = useState(() => ({ text: new LogText() }));
  const [version, setVersion] = useState(0);
  const [state, setState] = useState<'loading' | 'following' | 'ended' | 'error'>('loading');
  const [endInfo, setEndInfo] = useState<string>();
  const [error, setError] = useState<string>();
  const [follow, setFollow] = useState(true);
  const [query, setQuery] = useState('');
  const [current, setCurrent] = useState(0);
  const [onlyMatching, setOnlyMatching] = useState(false);
  const [wrap, setWrap] = useState(false);
  const [showTimes, setShowTimes] = useState(false);
  const [full, setFull] = useState(false);
  const [chunks, setChunks] = useState<ChunkTime[]>([]);
  const [timesError, setTimesError] = useState<string>();
  const target = lineFromHash(location.hash);
  const scrollRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    log.text = new LogText();
    setVersion((v) => v + 1);
    setState('loading');
    setEndInfo(undefined);
    setError(undefined);
    setFollow(true);
    setChunks([]);
    const ctl = new AbortController();
    let pending = '';
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Batch chunks: at most ~10 renders a second however fast output arrives.
    const flush = () => {
      timer = undefined;
      if (pending) {
        log.text.append(pending);
        pending = '';
        setVersion((v) => v + 1);
      }
    };
    (async () => {
      try {
        if (live) {
          setState('following');
          for await (const ev of api.followLogs(runId, task, attempt, { signal: ctl.signal })) {
            if (ev.type === 'log') {
              pending += ev.text;
              timer ??= setTimeout(flush, 100);
            } else {
              if (timer) clearTimeout(timer);
              flush();
              setEndInfo(`attempt ${ev.status}${ev.exitCode !== null ? `, exit code ${ev.exitCode}` : ''}${ev.reason ? ` (${ev.reason})` : ''}`);
            }
          }
          if (timer) clearTimeout(timer);
          flush();
          // The attempt ended: nothing more to follow.
          setFollow(false);
          setState('ended');
        } else {
          // Read a big log page by page (HTTP Range), yielding between pages: the page stays responsive.
          for await (const text of api.logText(runId, task, attempt, { signal: ctl.signal })) {
            if (ctl.signal.aborted) return;
            log.text.append(text);
            setVersion((v) => v + 1);
            await new Promise((r) => setTimeout(r, 0));
          }
          setVersion((v) => v + 1);
          setState('ended');
        }
      } catch (e) {
        if (ctl.signal.aborted) return;
        setError(errorText(e));
        setState('error');
      }
    })();
    return () => {
      ctl.abort();
      if (timer) clearTimeout(timer);
    };
  }, [api, runId, task, attempt, live, log]);

  // Chunk times, while "Times" is on: read from where the last read ended as the log grows (at
  // most one read at a time; a live log is read again as it grows, every second at most).
  const timesBusy = useRef(false);
  const lastTimesRead = useRef(0);
  useEffect(() => {
    if (!showTimes || timesBusy.current) return;
    const known = chunks.reduce((m, c) => Math.max(m, c.offset + c.size), 0);
    const bytes = log.text.ends[log.text.ends.length - 1] ?? 0;
    if (bytes <= known || chunks.length >= MAX_CHUNK_TIMES) return;
    const wait = Math.max(0, lastTimesRead.current + 1000 - Date.now());
    const ctl = { stop: false };
    const t = setTimeout(async () => {
      timesBusy.current = true;
      lastTimesRead.current = Date.now();
      try {
        const got: ChunkTime[] = [];
        let from: number | undefined = known;
        while (from !== undefined && !ctl.stop && chunks.length + got.length < MAX_CHUNK_TIMES) {
          const page = await api.logChunks(runId, task, attempt, { from, limit: 10_000 });
          for (const c of page.items) if (c.offset + c.size > known) got.push({ offset: c.offset, size: c.size, storedAt: c.storedAt === null ? null : Date.parse(c.storedAt) });
          from = page.next;
        }
        if (!ctl.stop) setChunks((old) => [...old.filter((c) => c.offset + c.size <= known), ...got].sort((a, b) => a.offset - b.offset));
        setTimesError(undefined);
      } catch (e) {
        if (!ctl.stop) setTimesError(errorText(e));
      } finally {
        timesBusy.current = false;
      }
    }, wait);
    return () => {
      ctl.stop = true;
      clearTimeout(t);
    };
  }, [showTimes, version, chunks, api, runId, task, attempt, log]);

  const lines: Line[] = log.text.lines;
  const matches = useMemo(() => findMatches(lines, query), [lines, query, version]);
  const byLine = useMemo(() => {
    const m = new Map<number, Array<{ start: number; end: number; current?: boolean }>>();
    matches.forEach((x, i) => {
      const l = m.get(x.line) ?? [];
      l.push({ start: x.start, end: x.end, ...(i === current ? { current: true } : {}) });
      m.set(x.line, l);
    });
    return m;
  }, [matches, current]);
  // Only matching lines: the virtual rows are those lines' indexes.
  const shown = useMemo(() => shownLines(lines.length, onlyMatching && query ? matches.map((m) => m.line) : undefined), [onlyMatching, query, matches, lines.length]);
  const count = shown ? shown.length : lines.length;
  const indexAt = useCallback((row: number) => (shown ? shown[row]! : row), [shown]);
  const rowOf = useCallback((line: number) => (shown ? shown.indexOf(line) : line), [shown]);
  const times = useMemo(() => (showTimes ? lineTimes(log.text.ends, chunks) : undefined), [showTimes, chunks, version, log]); // eslint-disable-line react-hooks/exhaustive-deps
  const targetIndex = target !== undefined ? log.text.indexOfNumber[target - 1] : undefined;

  const virt = useVirtualizer({ count, getScrollElement: () => scrollRef.current, estimateSize: () => ROW, overscan: 20 });
  useEffect(() => virt.measure(), [wrap, shown, virt]);

  useEffect(() => {
    if (follow && count > 0 && !query && targetIndex === undefined) virt.scrollToIndex(count - 1, { align: 'end' });
  }, [version, follow, query, virt, count, targetIndex]);

  // A `#L120` link: once that line is there, stop following and bring it to the middle.
  const scrolledTo = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (targetIndex === undefined || scrolledTo.current === target) return;
    scrolledTo.current = target;
    setFollow(false);
    const row = rowOf(targetIndex);
    if (row >= 0) virt.scrollToIndex(row, { align: 'center' });
  }, [targetIndex, target, virt, rowOf]);

  useEffect(() => {
    const m = matches[current];
    const row = m ? rowOf(m.line) : -1;
    if (row >= 0) virt.scrollToIndex(row, { align: 'center' });
  }, [current, matches, virt, rowOf]);
  useEffect(() => setCurrent(0), [query]);

  // Full screen: Esc leaves it (before the task panel's Esc closes the panel).
  useEffect(() => {
    if (!full) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      e.stopPropagation();
      setFull(false);
    };
    window.addEventListener('keydown', onKey, { capture: true });
    return () => window.removeEventListener('keydown', onKey, { capture: true });
  }, [full]);

  // Following stops when the user scrolls up (the position moves up), never because the log
  // grew under the view; reaching the end again resumes it (while the attempt runs).
  const lastTop = useRef(0);
  const onScroll = () => {
    const el = scrollRef.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < ROW * 2;
    if (atBottom && !follow && state === 'following') setFollow(true);
    else if (!atBottom && follow && el.scrollTop < lastTop.current - 2) setFollow(false);
    lastTop.current = el.scrollTop;
  };

  function download() {
    const blob = new Blob([log.text.rawText()], { type: 'text/plain' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `run-${runId}-${task}-attempt-${attempt}.log`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  /** Makes line `n` (the task's numbering) the URL's `#L<n>`, keeping the page's query. */
  function linkTo(n: number) {
    scrolledTo.current = n; // already in view: no jump
    nav({ pathname: location.pathname, search: location.search, hash: `#L${n}` }, { replace: true });
  }

  const step = (d: number) => matches.length && setCurrent((c) => (c + d + matches.length) % matches.length);

  return (
    <div className={`log${full ? ' full' : ''}${wrap ? ' wrap' : ''}${showTimes ? ' times' : ''}`} data-testid="log-viewer" data-state={state} role={full ? 'dialog' : undefined} aria-label={full ? `Log of ${task} attempt ${attempt}, full screen` : undefined}>
      <div className="log-toolbar">
        <input
          type="search"
          placeholder="Search log"
          aria-label="Search the log"
          value={query}
          maxLength={1000}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              step(e.shiftKey ? -1 : 1);
            }
          }}
        />
        <span className="muted" style={{ minWidth: 64, fontSize: 12 }} aria-live="polite">
          {query ? (matches.length ? `${current + 1} / ${matches.length}${matches.length >= 10_000 ? '+' : ''}` : 'no match') : ''}
        </span>
        <button className="small" onClick={() => step(-1)} disabled={!matches.length} aria-label="Previous match">
          ↑
        </button>
        <button className="small" onClick={() => step(1)} disabled={!matches.length} aria-label="Next match">
          ↓
        </button>
        <button className="small" aria-pressed={onlyMatching} onClick={() => setOnlyMatching((o) => !o)} title="Show only the lines that match the search">
          Matching only
        </button>
        <span className="grow" />
        <button className="small" aria-pressed={wrap} onClick={() => setWrap((w) => !w)} title="Wrap long lines">
          Wrap
        </button>
        <button className="small" aria-pressed={showTimes} onClick={() => setShowTimes((t) => !t)} title="When each line was stored (the time its part of the log reached the store)">
          Times
        </button>
        {state === 'following' ? (
          <button className="small" aria-pressed={follow} onClick={() => setFollow((f) => !f)} title="Stick to the end of the log">
            {follow ? '⇣ Following' : '⇣ Follow'}
          </button>
        ) : null}
        <button className="small" aria-pressed={full} onClick={() => setFull((f) => !f)} title={full ? 'Leave full screen (Esc)' : 'Full screen'}>
          {full ? 'Exit full screen' : 'Full screen'}
        </button>
        <button className="small" onClick={download} disabled={state === 'loading'}>
          Download
        </button>
      </div>
      <div className="log-scroll" ref={scrollRef} onScroll={onScroll} tabIndex={0} aria-label={`Log of ${task} attempt ${attempt}`} role="log">
        <div style={{ height: virt.getTotalSize(), position: 'relative', minWidth: '100%' }}>
          {virt.getVirtualItems().map((v) => {
            const index = indexAt(v.index);
            const line = lines[index]!;
            const n = log.text.numbers[index] ?? 0;
            const spans = markSpans(line.spans, byLine.get(index) ?? []);
            const at = times?.[index];
            return (
              <div
                key={index}
                ref={wrap ? virt.measureElement : undefined}
                data-index={v.index}
                className={`log-line${n === 0 ? ' own' : ''}${n !== 0 && n === target ? ' target' : ''}`}
                style={{ transform: `translateY(${v.start}px)` }}
                data-line={n || undefined}
                data-own={n === 0 ? 'true' : undefined}
              >
                {n ? (
                  <a className="ln" href={`#L${n}`} onClick={(e) => { e.preventDefault(); linkTo(n); }} aria-label={`Link to line ${n}`}>
                    {n}
                  </a>
                ) : (
                  <span className="ln" title="Kontroler's own line, not the task's: not numbered">·</span>
                )}
                {showTimes ? <span className="lt">{at !== undefined ? lineTimeLabel(at) : ''}</span> : null}
                {spans.map((s, i) => {
                  const style = s.fg || s.bg ? { color: s.fg, background: s.bg } : undefined;
                  const inner = s.mark ? <mark className={s.current ? 'current' : undefined}>{s.text}</mark> : s.text;
                  return s.cls || style ? (
                    <span key={i} className={s.cls} style={style}>
                      {inner}
                    </span>
                  ) : (
                    <span key={i}>{inner}</span>
                  );
                })}
              </div>
            );
          })}
        </div>
        {state !== 'loading' && lines.length === 0 && !error ? <div className="empty">{state === 'following' ? 'Waiting for output…' : 'No output.'}</div> : null}
        {shown && shown.length === 0 && lines.length > 0 ? <div className="empty">No line matches.</div> : null}
      </div>
      <div className="log-status">
        <span>{state === 'following' ? '● live' : state === 'loading' ? 'loading…' : state === 'error' ? 'error' : 'complete'}</span>
        <span>
          {shown ? `${shown.length.toLocaleString()} of ` : ''}
          {lines.length.toLocaleString()} lines · {formatBytes(log.text.length)}
        </span>
        {endInfo ? <span>{endInfo}</span> : null}
        {error ? <span style={{ color: 'var(--danger)' }}>{error}</span> : null}
        {timesError ? <span style={{ color: 'var(--danger)' }}>times: {timesError}</span> : null}
      </div>
    </div>
  );
}
