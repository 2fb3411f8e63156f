// Hooks that run first on every request, before authentication reads anything: refuse path and
// query values the database could not store (a NUL byte) with a clear 400, and give every
// response the headers that keep browsers and caches from reinterpreting or keeping it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { apiError } from './http-errors.js';

/** Headers on every response; the UI's static files override Cache-Control with their own. */
export const RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

/** Registers the guards on `app`; call before any other onRequest hook. */
export function installRequestGuards(app: FastifyInstance): void {
  app.addHook('onRequest', async (req, reply) => {
    for (const [k, v] of Object.entries(RESPONSE_HEADERS)) reply.header(k, v);
    const bad = nulField(req);
    if (bad !== undefined) {
      throw apiError('BAD_REQUEST', `${bad} contains a NUL byte (%00), which no name or value may hold: remove it`, [{ path: bad, message: 'contains a NUL byte' }]);
    }
  });
}

/** The first path or query field holding U+0000, as a field path (`path.ns`, `query.name`), or undefined. */
function nulField(req: FastifyRequest): string | undefined {
  // The raw URL first: cheap, and it also covers parts the router does not turn into params.
  if (!/%00|\u0000/i.test(req.url)) return undefined;
  for (const [part, values] of [
    ['path', req.params],
    ['query', req.query],
  ] as const) {
    if (typeof values !== 'object' || values === null) continue;
    for (const [k, v] of Object.entries(values as Record<string, unknown>)) {
      const list = Array.isArray(v) ? v : [v];
      if (list.some((x) => typeof x === 'string' && x.includes('\u0000'))) return `${part}.${k}`;
    }
  }
  return 'url';
}
