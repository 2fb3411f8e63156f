// The web UI bundle (static files from `config.uiDir`) on the API's port: files as they are,
// anything else that is not an API path gets index.html (client-side routing).
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { Type } from '@sinclair/typebox';
import { apiError } from '../http-errors.js';
import type { AnyRoute } from '../route.js';
import { route } from '../route.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** The file under `root` for a URL path, or undefined when it would leave `root`. */
export function uiFile(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0] ?? '/');
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const base = resolve(root);
  const full = resolve(base, `.${normalize(`/${decoded}`)}`);
  return full === base || full.startsWith(base + sep) ? full : undefined;
}

export function uiRoutes(uiDir: string | undefined): AnyRoute[] {
  if (!uiDir) return [];
  return [
    route({
      method: 'GET',
      url: '/*',
      operationId: 'ui',
      summary: 'The web UI (static files; unknown paths get index.html)',
      tags: ['system'],
      access: { kind: 'public' },
      produces: ['text/html'],
      schema: { params: Type.Object({ '*': Type.String() }) },
      async handler(c) {
        const path = c.req.url.split('?')[0] ?? '/';
        if (path.startsWith('/api/')) throw apiError('NOT_FOUND', `no route GET ${path}`);
        let file = uiFile(uiDir, path);
        if (!file) throw apiError('NOT_FOUND', 'not found');
        const isFile = await stat(file).then((s) => s.isFile(), () => false);
        if (!isFile) file = join(uiDir, 'index.html');
        const body = await readFile(file).catch(() => undefined);
        if (!body) throw apiError('NOT_FOUND', 'the UI bundle has no index.html: build the UI (npm run build -w @kontroler/ui)');
        const ext = extname(file);
        c.reply.type(TYPES[ext] ?? 'application/octet-stream');
        // Hashed asset names never change content; index.html must be revalidated.
        c.reply.header('cache-control', /[.-][A-Za-z0-9_]{8,}\.(js|css|woff2?|svg|png)$/.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache');
        c.reply.header('x-content-type-options', 'nosniff');
        return c.reply.send(body);
      },
    }),
  ];
}
