// The web UI bundle (static files from `config.uiDir`) on the API's port: files as they are,
// anything else that is not an API path and has no file extension gets index.html (client-side
// routing); a missing asset is a 404, never HTML under a script's name. Every answer carries a
// strict Content-Security-Policy. Hashed assets are cached for a year; index.html is revalidated
// (ETag) so a new bundle shows at once. `<file>.gz` written by the UI build is sent to clients
// that accept gzip.
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

/** Text types the UI build also writes as `<file>.gz`. */
const GZIPPED = new Set(['.html', '.js', '.mjs', '.css', '.json', '.svg', '.txt', '.map']);

/**
 * The UI's Content-Security-Policy: scripts only from this origin (no inline script, no eval),
 * API calls only to this origin, no framing. Inline style attributes are allowed: the graph
 * canvas and the code editor position and theme elements with them.
 */
export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

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

const statOf = (p: string) => stat(p).then((s) => (s.isFile() ? s : undefined), () => undefined);

export function uiRoutes(uiDir: string | undefined): AnyRoute[] {
  if (!uiDir) return [];
  return [
    route({
      method: 'GET',
      url: '/*',
      operationId: 'ui',
      summary: 'The web UI (static files; unknown page paths get index.html)',
      tags: ['system'],
      access: { kind: 'public' },
      produces: ['text/html'],
      schema: { params: Type.Object({ '*': Type.String() }) },
      async handler(c) {
        const path = c.req.url.split('?')[0] ?? '/';
        if (path === '/api' || path.startsWith('/api/')) throw apiError('NOT_FOUND', `no route GET ${path}`);
        let file = uiFile(uiDir, path);
        if (!file) throw apiError('NOT_FOUND', 'not found');
        let st = await statOf(file);
        if (!st) {
          // A page of the app (/runs/42) gets index.html; a missing asset (/assets/x.js) is a 404.
          if (extname(file) !== '' && extname(file) !== '.html') throw apiError('NOT_FOUND', `no file ${path} in the UI bundle`);
          file = join(uiDir, 'index.html');
          st = await statOf(file);
        }
        if (!st) {
          c.reply.code(503).type('text/plain; charset=utf-8');
          return c.reply.send(`The web UI is not built (no ${file}). Build it with \`npm run build:ui\` (npm start and npm test do it); the API is under /api/v1.`);
        }
        const ext = extname(file);
        const hashed = file.startsWith(join(resolve(uiDir), 'assets') + sep) || /[.-][A-Za-z0-9_]{8,}\.(js|css|woff2?|svg|png)$/.test(file);
        const etag = `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
        c.reply
          .type(TYPES[ext] ?? 'application/octet-stream')
          .header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache')
          .header('etag', etag)
          .header('vary', 'accept-encoding')
          .header('content-security-policy', UI_CSP)
          .header('x-content-type-options', 'nosniff')
          .header('x-frame-options', 'DENY')
          .header('referrer-policy', 'same-origin');
        if (c.req.headers['if-none-match'] === etag) return c.reply.code(304).send();
        const gz = GZIPPED.has(ext) && /\bgzip\b/.test(String(c.req.headers['accept-encoding'] ?? '')) ? await statOf(`${file}.gz`) : undefined;
        const body = await readFile(gz ? `${file}.gz` : file).catch(() => undefined);
        if (!body) throw apiError('NOT_FOUND', 'not found');
        if (gz) c.reply.header('content-encoding', 'gzip');
        return c.reply.send(body);
      },
    }),
  ];
}
