// Inbound webhooks (Kargo-style external triggers): a request signed with a DAG's trigger secret
// starts a run of it, with payload fields mapped to parameters. The signature covers a timestamp
// and a delivery id with the body (auth/trigger-signature.ts); each delivery id starts at most one
// run, and a replay answers 200 with that run.
import { Type } from '@sinclair/typebox';
import { deleteDagTrigger, getDagTrigger, startTriggeredRun, upsertDagTrigger } from '@kontroler/store';
import { addressKey } from '../auth/rate-limit.js';
import { randomSecret } from '../auth/secrets.js';
import { DELIVERY_HEADER, SIGNATURE_HEADER, SIGNING_HINT, TIMESTAMP_HEADER, checkTriggerDelivery } from '../auth/trigger-signature.js';
import { apiError } from '../http-errors.js';
import type { AnyRoute } from '../route.js';
import { route } from '../route.js';
import { deleteAndAudit } from './resource-common.js';
import { NsNameParams, RunSummary } from '../schemas.js';
import { iso, runSummary } from '../views.js';

const ParameterMap = Type.Record(Type.String({ minLength: 1, maxLength: 253 }), Type.String({ minLength: 1, maxLength: 500, pattern: '^[^.]+(\\.[^.]+)*$' }), {
  maxProperties: 100,
  description: 'Parameter name → dotted path into the JSON payload (`head_commit.id`, `items.0.name`)',
});

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
          signature: SIGNING_HINT,
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
        return deleteAndAudit(c, { name: c.params.name }, () => deleteDagTrigger(c.ctx.pool, c.params.ns, c.params.name));
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/triggers/:ns/:name',
      operationId: 'fireTrigger',
      summary: 'Inbound webhook: start a run when the body is signed with the DAG\'s trigger secret',
      description:
        'Send `X-Kontroler-Timestamp` (Unix seconds), `X-Kontroler-Delivery` (a unique id) and `X-Kontroler-Signature: v1=<hex HMAC-SHA256(secret, ' +
        '"v1:<timestamp>:<delivery>:<body>")>`. A timestamp more than the window (default 300 s) from the server\'s clock is refused (401). ' +
        'A JSON body\'s fields are mapped to parameters by the trigger\'s parameterMap. A new delivery answers 202 with its run; a delivery id ' +
        'seen before starts nothing and answers 200 with the original run (`X-Kontroler-Replay: true`), or 409 when that run has been deleted.',
      tags: ['webhooks'],
      access: { kind: 'signed' },
      audit: 'run.trigger',
      body: 'raw',
      consumes: ['application/json', '*/*'],
      schema: { params: NsNameParams, response: { 200: RunSummary, 202: RunSummary } },
      async handler(c) {
        const { ctx, req } = c;
        const { ns, name } = c.params;
        // Per (address, DAG): bad signatures from one sender do not hold up another's deliveries.
        const addrKey = `${addressKey(req.ip)} ${ns}/${name}`;
        const wait = ctx.triggerLimits.retryAfter(addrKey);
        if (wait > 0) throw apiError('RATE_LIMITED', `too many badly signed requests: try again in ${wait} s`, [], { 'retry-after': String(wait) });
        const body = typeof c.body === 'string' ? c.body : '';
        const t = await getDagTrigger(ctx.pool, ns, name);
        // One answer for "no such trigger" and "bad signature": the endpoint reveals nothing unsigned.
        const check = checkTriggerDelivery(
          t && t.enabled ? t.secret : undefined,
          { timestamp: header(req.headers[TIMESTAMP_HEADER]), delivery: header(req.headers[DELIVERY_HEADER]), signature: header(req.headers[SIGNATURE_HEADER]) },
          body,
          Math.floor(Date.now() / 1000),
          ctx.config.triggerWindowSeconds,
        );
        if (!check.ok || !t) {
          ctx.triggerLimits.fail(addrKey);
          throw apiError('UNAUTHENTICATED', check.ok ? 'no enabled trigger for this DAG' : check.message);
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
        const delivery = check.deliveryId;
        const started = await startTriggeredRun(ctx.pool, {
          namespace: ns,
          dagName: name,
          parameters,
          trigger: 'webhook',
          deliveryId: delivery,
          keepSeconds: 2 * ctx.config.triggerWindowSeconds,
        });
        c.audit({ dag: name, runId: started.run?.id ?? null, delivery, replay: started.replay });
        if (started.replay) {
          if (!started.run) throw apiError('CONFLICT', `delivery ${delivery} was received before; its run has been deleted since, so nothing was started`);
          c.reply.header('x-kontroler-replay', 'true');
          c.reply.code(200);
          return runSummary(started.run);
        }
        const run = started.run;
        c.reply.code(202);
        return runSummary(run);
      },
    }),
  ];
}
