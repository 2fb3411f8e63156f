// Stats dashboard: runs per day by outcome, success rate, duration percentiles, most failing
// tasks — as charts (recharts), from GET /stats; series are shaped by pure functions (series.ts).
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useApi } from '../../api.js';
import { formatPercent } from '../../lib/format.js';
import { ErrorBox, Skeleton } from '../../lib/ui.js';
import { durationBars, failingBars, runsPerDay } from './series.js';
import { useTitle } from '../../lib/use-title.js';

const WINDOWS = [
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['2w', 'Last 2 weeks'],
  ['30d', 'Last 30 days'],
] as const;

const axis = { stroke: 'var(--muted)', fontSize: 12 };
const tooltip = { contentStyle: { background: 'var(--panel)', border: '1px solid var(--border)', borderRadius: 8, color: 'var(--text)' }, cursor: { fill: 'var(--panel-2)' } };

export function StatsPage() {
  useTitle('Stats');
  const api = useApi();
  const [window, setWindow] = useState('7d');
  const [dag, setDag] = useState('');
  const stats = useQuery({ queryKey: ['stats', window, dag], queryFn: () => api.stats({ window, ...(dag.trim() ? { dag: dag.trim() } : {}) }), refetchInterval: 30_000 });
  const s = stats.data;
  const days = s ? runsPerDay(s) : [];
  const durations = s ? durationBars(s) : [];
  const failing = s ? failingBars(s) : [];
  return (
    <div className="page">
      <div className="page-head">
        <h1>Stats</h1>
        <span className="spacer" />
        <input data-search placeholder="DAG (all)" aria-label="Only this DAG" value={dag} onChange={(e) => setDag(e.target.value)} style={{ width: 180 }} />
        <select aria-label="Time window" value={window} onChange={(e) => setWindow(e.target.value)}>
          {WINDOWS.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      </div>
      <ErrorBox error={stats.error} />
      <div className="tiles">
        {[
          ['Runs', s?.totals.runs],
          ['Succeeded', s?.totals.succeeded],
          ['Failed', s?.totals.failed],
          ['Active', s?.totals.active],
          ['Success rate', s ? formatPercent(s.successRate, 1) : undefined],
        ].map(([l, v]) => (
          <div key={l} className="card tile">
            <div className="v">{v ?? '—'}</div>
            <div className="l">{l}</div>
          </div>
        ))}
      </div>
      {stats.isLoading ? (
        <Skeleton rows={6} />
      ) : (
        <div className="charts">
          <div className="card chart" aria-label="Runs per day by outcome">
            <h2>Runs per day</h2>
            <div className="body">
              <ResponsiveContainer>
                <BarChart data={days}>
                  <CartesianGrid stroke="var(--border)" vertical={false} />
                  <XAxis dataKey="label" tick={axis} stroke="var(--border)" />
                  <YAxis allowDecimals={false} tick={axis} stroke="var(--border)" width={36} />
                  <Tooltip {...tooltip} />
                  <Legend />
                  <Bar dataKey="succeeded" stackId="r" fill="var(--success)" isAnimationActive={false} maxBarSize={28} />
                  <Bar dataKey="failed" stackId="r" fill="var(--danger)" isAnimationActive={false} maxBarSize={28} />
                  <Bar dataKey="canceled" stackId="r" fill="var(--muted)" isAnimationActive={false} maxBarSize={28} />
                  <Bar dataKey="active" stackId="r" fill="var(--running)" isAnimationActive={false} maxBarSize={28} />
                </BarChart>
              </ResponsiveContainer>
            </div>
          </div>
          <div className="card chart" aria-label="Success rate per day">
            <h2>Success rate</h2>
            <div className="body">
              <ResponsiveContainer>
                <LineChart data={days.map((d) => ({ ...d, rate: d.successRate === null ? null : Math.round(d.successRate * 1000) / 10 }))}>
                  <CartesianGrid stroke="var(--border)" vertical={false} />
                  <XAxis dataKey="label" tick={axis} stroke="var(--border)" />
                  <YAxis domain={[0, 100]} unit="%" tick={axis} stroke="var(--border)" width={44} />
                  <Tooltip {...tooltip} formatter={(v) => [`${String(v)}%`, 'success rate']} />
                  <Line type="monotone" dataKey="rate" stroke="var(--success)" strokeWidth={2} dot={{ r: 3 }} connectNulls isAnimationActive={false} />
                </LineChart>
              </ResponsiveContainer>
            </div>
          </div>
          <div className="card chart" aria-label="Duration percentiles per DAG" data-testid="duration-chart">
            <h2>Duration per DAG (seconds)</h2>
            <p className="muted chart-note">
              Execution: while a task ran. Wall: start to end, waits included (queue, retry delay, the time before a manual retry).
            </p>
            <div className="body">
              {durations.length === 0 ? (
                <div className="empty">No finished runs in this window.</div>
              ) : (
                <ResponsiveContainer>
                  <BarChart data={durations} layout="vertical" margin={{ left: 20 }}>
                    <CartesianGrid stroke="var(--border)" horizontal={false} />
                    <XAxis type="number" unit=" s" tick={axis} stroke="var(--border)" />
                    <YAxis type="category" dataKey="dag" tick={axis} stroke="var(--border)" width={140} />
                    <Tooltip {...tooltip} />
                    <Legend />
                    <Bar dataKey="execP50" name="execution p50" fill="var(--accent)" isAnimationActive={false} maxBarSize={20} />
                    <Bar dataKey="execP95" name="execution p95" fill="var(--info)" isAnimationActive={false} maxBarSize={20} />
                    <Bar dataKey="wallP95" name="wall p95" fill="var(--muted)" isAnimationActive={false} maxBarSize={20} />
                  </BarChart>
                </ResponsiveContainer>
              )}
            </div>
          </div>
          <div className="card chart" aria-label="Most failing tasks">
            <h2>Most failing tasks</h2>
            <div className="body">
              {failing.length === 0 ? (
                <div className="empty">No failed attempts in this window.</div>
              ) : (
                <ResponsiveContainer>
                  <BarChart data={failing} layout="vertical" margin={{ left: 20 }}>
                    <CartesianGrid stroke="var(--border)" horizontal={false} />
                    <XAxis type="number" allowDecimals={false} tick={axis} stroke="var(--border)" />
                    <YAxis type="category" dataKey="task" tick={axis} stroke="var(--border)" width={170} />
                    <Tooltip {...tooltip} />
                    <Bar dataKey="failedAttempts" name="failed attempts" fill="var(--danger)" isAnimationActive={false} maxBarSize={28} />
                  </BarChart>
                </ResponsiveContainer>
              )}
            </div>
          </div>
        </div>
      )}
    </div>
  );
}
