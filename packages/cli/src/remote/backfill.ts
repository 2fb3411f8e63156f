// kontroler backfill DAG --from T1 --to T2 [--max-active N] [--reverse] [--dry-run] [--wait] /
// backfills [DAG] / backfill-status ID / backfill-cancel ID — through the API.
import type { Command } from 'commander';
import { DEFAULT_NAMESPACE, parseLogicalTime } from '@kontroler/core';
import type { Backfill, KontrolerClient } from '@kontroler/client';
import { connect, withConn, type ConnOptions } from './connection.js';
import { age, format, print } from './output.js';

/** How often `backfill --wait` reads the backfill's progress. */
export const BACKFILL_WAIT_POLL_MS = 1_000;

function backfillId(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`"${v}" is not a backfill id`);
  return n;
}

function checkTime(flag: string, v: string): string {
  const t = parseLogicalTime(v);
  if (!t.ok) throw new Error(`${flag}: ${t.message}`);
  return v;
}

function positiveInt(flag: string, v: string, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${flag} "${v}": expected an integer from 1 to ${max}`);
  return n;
}

/** One line of a backfill's progress. */
export function progressLine(b: Backfill): string {
  const p = b.progress;
  const run = p.total - p.skipped;
  return `backfill ${b.id}: ${b.status} — ${p.done}/${run} done, ${p.running} running, ${p.failed} failed, ${p.pending} pending${p.skipped > 0 ? `, ${p.skipped} skipped (had a run)` : ''}${b.error ? ` — ${b.error}` : ''}`;
}

const HEADERS = ['ID', 'DAG', 'FROM', 'TO', 'STATUS', 'DONE', 'RUNNING', 'FAILED', 'PENDING', 'SKIPPED', 'MAX', 'AGE'];

function rows(items: readonly Backfill[]) {
  return items.map((b) => [b.id, `${b.namespace}/${b.dag}`, b.from, b.to, b.status, b.progress.done, b.progress.running, b.progress.failed, b.progress.pending, b.progress.skipped, b.maxActive, age(b.createdAt)]);
}

/** Polls the backfill until it is no longer running, printing its progress when it changes. */
export async function waitForBackfill(client: KontrolerClient, id: number, out: (l: string) => void, intervalMs = BACKFILL_WAIT_POLL_MS): Promise<Backfill> {
  let last = '';
  for (;;) {
    const b = await client.getBackfill(id);
    const line = progressLine(b);
    if (line !== last) out(line);
    last = line;
    if (b.status !== 'running') return b;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function register(program: Command): void {
  withConn(
    program
      .command('backfill')
      .description("run a DAG once per fire time of its schedule in [--from, --to), each run with that logical time")
      .argument('<dag>', 'DAG name')
      .requiredOption('--from <time>', 'start of the range, inclusive (RFC 3339, e.g. 2026-01-01T00:00:00Z)')
      .requiredOption('--to <time>', 'end of the range, exclusive (RFC 3339)')
      .option('-n, --namespace <ns>', 'namespace', DEFAULT_NAMESPACE)
      .option('--max-active <n>', 'most runs of the backfill pending or running at once (1-100)', '1')
      .option('--reverse', 'newest fire time first')
      .option('--dry-run', 'only print the fire times; create nothing')
      .option('-w, --wait', 'wait until the backfill ends, showing its progress; exit code 0 succeeded, 2 failed, 3 canceled'),
  ).action(async (dag: string, o: ConnOptions & { namespace: string; from: string; to: string; maxActive: string; reverse?: boolean; dryRun?: boolean; wait?: boolean }) => {
    const input = {
      from: checkTime('--from', o.from),
      to: checkTime('--to', o.to),
      maxActive: positiveInt('--max-active', o.maxActive, 100),
      ...(o.reverse ? { reverse: true } : {}),
      ...(o.dryRun ? { dryRun: true } : {}),
    };
    const { client } = await connect(o);
    const r = await client.createBackfill(o.namespace, dag, input);
    if (format(o) !== 'table') {
      print(o, r, [], () => []);
    } else if (r.dryRun) {
      for (const t of r.fireTimes) console.log(t);
      console.error(`${r.fireTimeCount} fire time(s) of ${o.namespace}/${dag} (${r.timezone}) would get a run${r.skippedCount > 0 ? `; ${r.skippedCount} skipped (a run exists): ${r.skipped.slice(0, 5).map((s) => `${s.logicalTime} (run ${s.runId})`).join(', ')}${r.skippedCount > 5 ? ', …' : ''}` : ''}`);
      return;
    } else {
      console.log(`backfill ${r.backfill?.id ?? '?'} of ${o.namespace}/${dag}: ${r.fireTimeCount} fire time(s), at most ${input.maxActive} active${r.skippedCount > 0 ? `; ${r.skippedCount} skipped (a run exists)` : ''}`);
    }
    if (o.wait && r.backfill) {
      const end = await waitForBackfill(client, r.backfill.id, (l) => console.error(l));
      process.exitCode = end.status === 'succeeded' ? 0 : end.status === 'canceled' ? 3 : 2;
    }
  });

  withConn(
    program
      .command('backfills')
      .description('list backfills, newest first, with their progress')
      .argument('[dag]', 'only the backfills of this DAG')
      .option('-n, --namespace <ns>', 'namespace (with a DAG: default "default")')
      .option('-l, --limit <n>', 'how many', '20'),
    { shortServer: false },
  ).action(async (dag: string | undefined, o: ConnOptions & { namespace?: string; limit: string }) => {
    const { client } = await connect(o);
    const page = await client.listBackfills({
      ...(dag !== undefined ? { namespace: o.namespace ?? DEFAULT_NAMESPACE, dag } : o.namespace ? { namespace: o.namespace } : {}),
      limit: positiveInt('--limit', o.limit, 200),
    });
    print(o, page.items, HEADERS, () => rows(page.items));
  });

  withConn(
    program
      .command('backfill-status')
      .description("show a backfill's progress and its fire times with their runs")
      .argument('<id>', 'backfill id'),
  ).action(async (id: string, o: ConnOptions) => {
    const { client } = await connect(o);
    const b = await client.getBackfill(backfillId(id));
    if (format(o) !== 'table') return print(o, b, [], () => []);
    console.log(`${progressLine(b)}\n${b.namespace}/${b.dag} [${b.from}, ${b.to})${b.reverse ? ' newest first' : ''}, at most ${b.maxActive} active, by ${b.createdBy}\n`);
    print(o, b.fires, ['LOGICAL TIME', 'RUN', 'STATUS'], () => b.fires.map((f) => [f.logicalTime, f.runId ?? '-', f.skipped ? `skipped (${f.status ?? 'a run existed'})` : (f.status ?? 'pending')]));
  });

  withConn(
    program
      .command('backfill-cancel')
      .description('cancel a backfill: no further fire time gets a run; its pending and running runs are canceled')
      .argument('<id>', 'backfill id'),
  ).action(async (id: string, o: ConnOptions) => {
    const { client } = await connect(o);
    const b = await client.cancelBackfill(backfillId(id));
    console.log(progressLine(b));
  });
}
