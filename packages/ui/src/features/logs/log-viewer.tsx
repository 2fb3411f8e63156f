// One viewer for live and stored output. A running attempt is followed over SSE (stored output
// first, then live) and the view sticks to the bottom unless the user scrolls up; when the
// attempt ends the text stays. Lines are virtualised (only the visible ones are in the DOM), so
// logs of many megabytes scroll smoothly; ANSI colours, search with next/previous, download.
import { useEffect, useMemo, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useApi, errorText } from '../../api.js';
import { formatBytes } from '../../lib/format.js';
import { LogText, findMatches, markSpans, type Line } from './ansi.js';

const ROW = 18;

interface Props {
  runId: number;
  task: string;
  attempt: number;
  /** The attempt may still write output: follow it. */
  live: boolean;
}

export function LogViewer({ runId, task, attempt, live }: Props) {
  const api = useApi();
  const [log] = useState(() => ({ text: new LogText() }));
  const [version, setVersion] = useState(0);
  const [state, setState] = useState<'loading' | 'following' | 'ended' | 'error'>('loading');
  const [endInfo, setEndInfo] = useState<string>();
  const [error, setError] = useState<string>();
  const [follow, setFollow] = useState(true);
  const [query, setQuery] = useState('');
  const [current, setCurrent] = useState(0);
  const scrollRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    log.text = new LogText();
    setVersion((v) => v + 1);
    setState('loading');
    setEndInfo(undefined);
    setError(undefined);
    setFollow(true);
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

  const virt = useVirtualizer({ count: lines.length, getScrollElement: () => scrollRef.current, estimateSize: () => ROW, overscan: 20 });

  useEffect(() => {
    if (follow && lines.length > 0 && !query) virt.scrollToIndex(lines.length - 1, { align: 'end' });
  }, [version, follow, query, virt, lines.length]);

  useEffect(() => {
    const m = matches[current];
    if (m) virt.scrollToIndex(m.line, { align: 'center' });
  }, [current, matches, virt]);
  useEffect(() => setCurrent(0), [query]);

  // Following stops when the user scrolls up (the position moves up), never because the log
  // grew under the view; reaching the end again resumes it.
  const lastTop = useRef(0);
  const onScroll = () => {
    const el = scrollRef.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < ROW * 2;
    if (atBottom && !follow) setFollow(true);
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

  const step = (d: number) => matches.length && setCurrent((c) => (c + d + matches.length) % matches.length);

  return (
    <div className="log" data-testid="log-viewer" data-state={state}>
      <div className="log-toolbar">
        <input
          type="search"
          placeholder="Search log"
          aria-label="Search the log"
          value={query}
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
        <span className="grow" />
        <button className="small" aria-pressed={follow} onClick={() => setFollow((f) => !f)} title="Stick to the end of the log">
          {follow ? '⇣ Following' : '⇣ Follow'}
        </button>
        <button className="small" onClick={download} disabled={state === 'loading'}>
          Download
        </button>
      </div>
      <div className="log-scroll" ref={scrollRef} onScroll={onScroll} tabIndex={0} aria-label={`Log of ${task} attempt ${attempt}`} role="log">
        <div style={{ height: virt.getTotalSize(), position: 'relative', minWidth: '100%' }}>
          {virt.getVirtualItems().map((v) => {
            const line = lines[v.index]!;
            const spans = markSpans(line.spans, byLine.get(v.index) ?? []);
            return (
              <div key={v.index} className="log-line" style={{ transform: `translateY(${v.start}px)` }} data-line={v.index + 1}>
                <span className="ln">{v.index + 1}</span>
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
      </div>
      <div className="log-status">
        <span>{state === 'following' ? '● live' : state === 'loading' ? 'loading…' : state === 'error' ? 'error' : 'complete'}</span>
        <span>
          {lines.length.toLocaleString()} lines · {formatBytes(log.text.length)}
        </span>
        {endInfo ? <span>{endInfo}</span> : null}
        {error ? <span style={{ color: 'var(--danger)' }}>{error}</span> : null}
      </div>
    </div>
  );
}
