// Inbound webhooks (Kargo-style external triggers): a request signed with a DAG's trigger secret
// starts a run of it, with payload fields mapped to parameters.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { deleteDagTrigger, getDagTrigger, startRun, upsertDagTrigger } from '@kontroler/store';
import { randomSecret } from '../auth/secrets.js';
import { apiError } from '../http-errors.js';
import type { AnyRoute } from '../route.js';
import { route } from '../route.js';
import { NsNameParams, RunSummary } from '../schemas.js';
import { iso, runSummary } from '../views.js';

const ParameterMap = Type.Record(Type.String({ minLength: 1, maxLength: 253 }), Type.String({ minLength: 1, maxLength: 500, pattern: '^[^.]+(\\.[^.]+)*$' }), {
  maxProperties: 100,
  description: 'Parameter name → dotted path into the JSON payload (`head_commit.id`, `items.0.name`)',
});

/** `sha256=<hex>` HMAC of the exact body bytes, as GitHub and Kontroler's outgoing webhooks sign. */
export function signTrigger(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function signatureOk(secret: string, body: string, given: string | undefined): boolean {
  if (!given) return false;
  const want = Buffer.from(signTrigger(secret, body));
  const got = Buffer.from(given.trim());
  return want.length === got.length && timingSafeEqual(want, got);
}

/** The value at a dotted path of a JSON value, as a parameter string; undefined when absent. */
export function pick(payload: unknown, path: string): string | undefined {
  let cur: unknown = payload;
  for (const step of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, step)) return undefined;
    cur = (cur as Record<string, unknown>)[step];
  }
  if (cur === undefined || cur === null) return undefined;
  return typeof cur === 'string' ? cur : JSON.stringify(cur);
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export function triggerRoutes(): AnyRoute[] {
  const editor = { kind: 'namespace', role: 'editor' } as const;
  return [
    route({
      method: 'GET',
      url: '/api/v1/namespaces/:ns/dags/:name/trigger',
      operationId: 'getDagTrigger',
      summary: 'The DAG\'s inbound webhook trigger (without its secret)',
      tags: ['webhooks'],
      access: editor,
      schema: { params: NsNameParams },
      async handler(c) {
        const t = await getDagTrigger(c.ctx.pool, c.params.ns, c.params.name);
        if (!t) throw apiError('NOT_FOUND', `DAG ${c.params.ns}/${c.params.name} has no trigger`);
        return { url: `/api/v1/triggers/${t.namespace}/${t.dagName}`, parameterMap: t.parameterMap, enabled: t.enabled, createdAt: iso(t.createdAt), updatedAt: iso(t.updatedAt) };
      },
    }),
    route({
      method: 'PUT',
      url: '/api/v1/namespaces/:ns/dags/:name/trigger',
      operationId: 'putDagTrigger',
      summary: 'Create or update the DAG\'s inbound webhook trigger; the secret is returned when new or rotated',
      tags: ['webhooks'],
      access: editor,
      audit: 'dag.trigger.update',
      schema: {
        params: NsNameParams,
        body: Type.Object(
          { parameterMap: Type.Optional(ParameterMap), enabled: Type.Optional(Type.Boolean()), rotateSecret: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
      },
      async handler(c) {
        const { ns, name } = c.params;
        const existing = await getDagTrigger(c.ctx.pool, ns, name);
        const secret = !existing || c.body.rotateSecret === true ? randomSecret() : undefined;
        c.audit({ name, rotated: secret !== undefined && existing !== undefined, parameterMap: c.body.parameterMap });
        const t = await upsertDagTrigger(c.ctx.pool, {
          namespace: ns,
          name,
          ...(secret !== undefined ? { secret } : {}),
          parameterMap: c.body.parameterMap ?? existing?.parameterMap ?? {},
          enabled: c.body.enabled ?? existing?.enabled ?? true,
        });
        if (!existing) c.reply.code(201);
        return {
          url: `/api/v1/triggers/${ns}/${name}`,
          parameterMap: t.parameterMap,
          enabled: t.enabled,
          ...(secret !== undefined ? { secret } : {}),
          signature: 'X-Kontroler-Signature: sha256=<hex HMAC-SHA256 of the body with the secret> (X-Hub-Signature-256 also accepted)',
        };
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/namespaces/:ns/dags/:name/trigger',
      operationId: 'deleteDagTrigger',
      summary: 'Remove the DAG\'s inbound webhook trigger',
      tags: ['webhooks'],
      access: editor,
      audit: 'dag.trigger.delete',
      schema: { params: NsNameParams },
      async handler(c) {
        c.audit({ name: c.params.name });
        await deleteDagTrigger(c.ctx.pool, c.params.ns, c.params.name);
        c.reply.code(204);
        return undefined;
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/triggers/:ns/:name',
      operationId: 'fireTrigger',
      summary: 'Inbound webhook: start a run when the body is signed with the DAG\'s trigger secret',
      description:
        'Send `X-Kontroler-Signature: sha256=<hex>` (or GitHub\'s `X-Hub-Signature-256`) over the exact body. A JSON body\'s fields are mapped ' +
        'to parameters by the trigger\'s parameterMap. `X-Kontroler-Delivery` (or `X-GitHub-Delivery`) makes redelivery idempotent.',
      tags: ['webhooks'],
      access: { kind: 'signed' },
      audit: 'run.trigger',
      body: 'raw',
      consumes: ['application/json', '*/*'],
      schema: { params: NsNameParams, response: { 202: RunSummary } },
      async handler(c) {
        const { ctx, req } = c;
        const { ns, name } = c.params;
        // Per (address, DAG): bad signatures from one sender do not hold up another's deliveries.
        const addrKey = `${req.ip} ${ns}/${name}`;
        const wait = ctx.triggerLimits.retryAfter(addrKey);
        if (wait > 0) throw apiError('RATE_LIMITED', `too many badly signed requests: try again in ${wait} s`, [], { 'retry-after': String(wait) });
        const body = typeof c.body === 'string' ? c.body : '';
        const t = await getDagTrigger(ctx.pool, ns, name);
        const sig = header(req.headers['x-kontroler-signature']) ?? header(req.headers['x-hub-signature-256']);
        // One answer for "no such trigger" and "bad signature": the endpoint reveals nothing unsigned.
        if (!t || !t.enabled || !signatureOk(t.secret, body, sig)) {
          ctx.triggerLimits.fail(addrKey);
          throw apiError('UNAUTHENTICATED', 'missing or wrong signature (or no enabled trigger for this DAG)');
        }
        let payload: unknown = undefined;
        if (body.trim() !== '') {
          try {
            payload = JSON.parse(body) as unknown;
          } catch {
            payload = undefined;
          }
        }
        const parameters: Record<string, string> = {};
        for (const [param, path] of Object.entries(t.parameterMap)) {
          const v = pick(payload, path);
          if (v !== undefined) parameters[param] = v;
        }
        const delivery = header(req.headers['x-kontroler-delivery']) ?? header(req.headers['x-github-delivery']);
        const runName = delivery ? `trigger-${delivery.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 200)}`.replace(/-+$/, '') : undefined;
        const { run, created } = await startRun(ctx.pool, { namespace: ns, dagName: name, parameters, ...(runName ? { name: runName } : {}), trigger: 'webhook' });
        c.audit({ dag: name, runId: run.id, delivery: delivery ?? null, created });
        c.reply.code(202);
        return runSummary(run);
      },
    }),
  ];
}
