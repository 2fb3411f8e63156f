// Run statistics over a chosen window.
import { Type, type Static } from '@sinclair/typebox';
import { runStats } from '@kontroler/store';
import { apiError } from '../http-errors.js';
import { namespacesWith } from '../rbac.js';
import type { AnyRoute } from '../route.js';
import { route } from '../route.js';
import { Name, Namespace, StatsView, Timestamp } from '../schemas.js';

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90m`, `24h`, `30d`, `2w` → milliseconds. */
export function parseWindow(s: string): number | undefined {
  const m = /^(\d{1,5})([mhdw])$/.exec(s);
  return m ? Number(m[1]) * UNITS[m[2]!]! : undefined;
}

export function statsRoutes(): AnyRoute[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/stats',
      operationId: 'getStats',
      summary: 'Runs per day by outcome, success rate, duration p50/p95 per DAG, most failing tasks',
      description: 'The window is `from`..`to` (ISO times) or the last `window` (`24h`, `7d`, `2w`; default 7d) before `to` (default now).',
      tags: ['stats'],
      access: { kind: 'any-namespace', role: 'viewer' },
      schema: {
        querystring: Type.Object({
          namespace: Type.Optional(Namespace),
          dag: Type.Optional(Name),
          window: Type.Optional(Type.String({ pattern: '^\\d{1,5}[mhdw]$' })),
          from: Type.Optional(Timestamp),
          to: Type.Optional(Timestamp),
          top: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
        }),
        response: { 200: StatsView },
      },
      async handler(c) {
        const q = c.query;
        const to = q.to ? Date.parse(q.to) : Date.now();
        const from = q.from ? Date.parse(q.from) : to - (parseWindow(q.window ?? '7d') ?? 7 * 86_400_000);
        if (!(from < to)) throw apiError('VALIDATION_FAILED', '`from` must be before `to`', [{ path: 'query.from', message: 'must be before to' }]);
        if (to - from > 366 * 86_400_000) throw apiError('VALIDATION_FAILED', 'the window is at most 366 days', [{ path: 'query.window', message: 'at most 366 days' }]);
        const visible = namespacesWith(c.who, 'viewer');
        const s = await runStats(c.ctx.pool, {
          from,
          to,
          ...(visible ? { namespaces: visible } : {}),
          ...(q.namespace ? { namespace: q.namespace } : {}),
          ...(q.dag ? { dagName: q.dag } : {}),
          top: q.top ?? 10,
        });
        // Typed by the schema: the store's RunStats and the client's Stats cannot drift apart.
        const body: Static<typeof StatsView> = { ...s, from: new Date(s.from).toISOString(), to: new Date(s.to).toISOString() };
        return body;
      },
    }),
  ];
}
