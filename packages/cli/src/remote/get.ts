// kontroler get dags|runs|dagtasks|users|tokens, kontroler describe run|dag
import type { Command } from 'commander';
import type { KontrolerClient, ListRunsQuery, Page, Run, RunDetail, RunStatus } from '@kontroler/client';
import { countsLine } from './run-status.js';
import { connect, withConn, type ConnOptions } from './connection.js';
import { age, duration, print, table } from './output.js';

type GetOptions = ConnOptions & { namespace?: string; allNamespaces?: boolean; dag?: string; status?: string; limit: string; cursor?: string };

function counts(c: Record<string, number> | undefined): string {
  if (!c) return '-';
  const total = Object.values(c).reduce((a, b) => a + b, 0);
  return `${c.succeeded ?? 0}/${total}${c.failed ? ` (${c.failed} failed)` : ''}`;
}

export function register(program: Command): void {
  withConn(
    program
      .command('get')
      .description('list resources on the server: dags, runs, dagtasks, users, tokens')
      .argument('<what>', 'dags | runs | dagtasks | users | tokens')
      .option('-n, --namespace <ns>', 'namespace (default: every namespace you can see; dagtasks: default)')
      .option('-A, --all-namespaces', 'every namespace you can see')
      .option('--dag <name>', 'runs: only of this DAG')
      .option('--status <s>', 'runs: pending,running,succeeded,failed,canceled')
      .option('--limit <n>', 'how many', '50')
      .option('--cursor <c>', 'continue a listing from its nextCursor'),
  ).action(async (what: string, o: GetOptions) => {
    const { client } = await connect(o);
    const limit = Number(o.limit);
    const ns = o.allNamespaces ? undefined : o.namespace;
    switch (what.toLowerCase()) {
      case 'dag':
      case 'dags': {
        const page = await client.listDags({ ...(ns ? { namespace: ns } : {}), limit, ...(o.cursor ? { cursor: o.cursor } : {}) });
        print(o, page, ['NAMESPACE', 'NAME', 'VERSION', 'SCHEDULE', 'SUSPENDED', 'LAST RUN', 'AGE'], () =>
          page.items.map((d) => [d.namespace, d.name, d.version, d.schedule || '(on demand)', String(d.suspended), d.lastRun ? `${d.lastRun.id} ${d.lastRun.status}` : '-', age(d.createdAt)]),
        );
        if (page.nextCursor && o.output === 'table') console.error(`more: --cursor ${page.nextCursor}`);
        return;
      }
      case 'run':
      case 'runs': {
        const page = await printRuns(client, o, {
          ...(ns ? { namespace: ns } : {}),
          ...(o.dag ? { dag: o.dag } : {}),
          ...(o.status ? { status: o.status.split(',') as RunStatus[] } : {}),
          ...(o.cursor ? { cursor: o.cursor } : {}),
          limit,
        });
        if (page.nextCursor && o.output === 'table') console.error(`more: --cursor ${page.nextCursor}`);
        return;
      }
      case 'dagtask':
      case 'dagtasks': {
        const page = await client.listDagTasks(ns ?? 'default', { limit, ...(o.cursor ? { cursor: o.cursor } : {}) });
        print(o, page, ['NAMESPACE', 'NAME', 'VERSION', 'AGE'], () => page.items.map((t) => [t.namespace, t.name, t.version, age(t.createdAt)]));
        return;
      }
      case 'user':
      case 'users': {
        const r = await client.listUsers();
        print(o, r, ['USERNAME', 'ROLES', 'DISABLED', 'AGE'], () => r.items.map((u) => [u.username, u.roles.map((b) => `${b.namespace}=${b.role}`).join(',') || '-', String(u.disabled), age(u.createdAt)]));
        return;
      }
      case 'token':
      case 'tokens': {
        const r = await client.listTokens();
        print(o, r, ['ID', 'NAME', 'ROLE', 'NAMESPACES', 'EXPIRES', 'LAST USED'], () =>
          r.items.map((t) => [t.id, t.name, t.role, t.namespaces.join(','), t.expiresAt ?? 'never', t.lastUsedAt ? `${age(t.lastUsedAt)} ago` : 'never']),
        );
        return;
      }
      default:
        throw new Error(`cannot get "${what}": use dags, runs, dagtasks, users or tokens`);
    }
  });

  withConn(
    program
      .command('describe')
      .description('show one resource in detail: `describe run ID` or `describe dag NAME -n NS`')
      .argument('<what>', 'run | dag')
      .argument('<id>', 'run id or DAG name')
      .option('-n, --namespace <ns>', 'namespace of the DAG', 'default'),
  ).action(async (what: string, id: string, o: ConnOptions & { namespace: string }) => {
    const { client } = await connect(o);
    if (what === 'run') {
      const n = Number(id);
      if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`"${id}" is not a run id`);
      const r = await client.getRun(n);
      if (o.output && o.output !== 'table') return print(o, r, [], () => []);
      process.stdout.write(describeRun(r));
      return;
    }
    if (what === 'dag') {
      const d = await client.getDag(o.namespace, id);
      if (o.output && o.output !== 'table') return print(o, d, [], () => []);
      const versions = await client.dagVersions(o.namespace, id);
      console.log(
        [
          `DAG:         ${d.namespace}/${d.name}`,
          `Version:     ${d.version} (${versions.items.length} stored)`,
          `Schedule:    ${d.schedule || '(on demand)'}${d.suspended ? ' (suspended)' : ''}`,
          `Next fire:   ${d.nextFireAt ?? '-'}`,
          `Labels:      ${Object.entries(d.labels).map(([k, v]) => `${k}=${v}`).join(', ') || '-'}`,
          `Last run:    ${d.lastRun ? `${d.lastRun.id} ${d.lastRun.status} at ${d.lastRun.createdAt}` : '-'}`,
        ].join('\n'),
      );
      return;
    }
    throw new Error(`cannot describe "${what}": use run or dag`);
  });
}

/** Lists runs (newest first, with task counts) as `get runs` and `runs` print them; returns the page. */
export async function printRuns(client: KontrolerClient, o: { output?: string }, q: Omit<ListRunsQuery, 'taskCounts'>): Promise<Page<Run>> {
  const page = await client.listRuns({ ...q, taskCounts: true });
  print(o, page, ['ID', 'NAMESPACE', 'DAG', 'STATUS', 'TRIGGER', 'TASKS', 'STARTED', 'DURATION'], () =>
    page.items.map((r) => [r.id, r.namespace, r.dag, r.status, r.trigger, counts(r.taskCounts), r.startedAt ? `${age(r.startedAt)} ago` : '-', duration(r.durationMs)]),
  );
  return page;
}

export function describeRun(r: RunDetail): string {
  const head = [
    `Run:         ${r.id}${r.name ? ` (${r.name})` : ''}`,
    `DAG:         ${r.namespace}/${r.dag} version ${r.dagVersion}`,
    `Status:      ${r.status}${r.requested ? ` (${r.requested} requested)` : ''}`,
    `Trigger:     ${r.trigger}`,
    `Parameters:  ${Object.entries(r.parameters).map(([k, v]) => `${k}=${v}`).join(', ') || '-'}${r.secretParameters.length ? `; from secrets: ${r.secretParameters.join(', ')}` : ''}`,
    `Created:     ${r.createdAt}`,
    `Started:     ${r.startedAt ?? '-'}`,
    `Finished:    ${r.finishedAt ?? '-'}  (${duration(r.durationMs)})`,
    '',
  ];
  const rows = r.tasks.map((t) => {
    const last = t.attempts[t.attempts.length - 1];
    return [t.name, t.status, t.attempts.length, last?.exitCode ?? '-', last?.reason ?? t.reason ?? '-', duration(last?.durationMs), t.runAfter.join(',') || '-'];
  });
  const more = r.tasksNextCursor ? `\n(the first ${r.tasks.length} of ${r.taskTotal} tasks: kontroler run-status ${r.id} [--all] lists the rest)` : '';
  head.splice(head.length - 1, 0, `Tasks:       ${countsLine(r)}`);
  // A blank line between the head and the table; the text ends with a newline of its own.
  return `${head.join('\n')}\n${table(['TASK', 'STATUS', 'ATTEMPTS', 'EXIT', 'REASON', 'DURATION', 'AFTER'], rows)}${more}\n`;
}
