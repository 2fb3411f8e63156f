// Serves the web UI bundle (packages/ui/dist) at `/`: public static files, everything under
// `/api/` stays the API's. Unknown paths without a file extension fall back to index.html so the
// single-page app's own routes (/runs/42) load on refresh. Hashed assets are cached for a year;
// index.html is revalidated every time (ETag), so a new bundle is picked up at once.
import { createReadStream, statSync, type Stats } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The UI's Content-Security-Policy: scripts only from this origin (no inline script, no eval),
 * API calls only to this origin. Inline style attributes are allowed (the graph canvas positions
 * nodes with them).
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
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** Extensions the build also writes as `<file>.gz` (see scripts/build-ui.mjs). */
const COMPRESSED = new Set(['.html', '.js', '.mjs', '.css', '.json', '.svg', '.txt', '.map']);

export interface UiStatic {
  /** Handles a GET/HEAD outside `/api/`; false when it is not the UI's to answer. */
  handle(req: FastifyRequest, reply: FastifyReply): boolean;
}

export function uiStatic(dir: string): UiStatic {
  const root = resolve(dir);
  return {
    handle(req, reply) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      const rawPath = (req.url.split('?')[0] ?? '/').split('#')[0] ?? '/';
      if (rawPath === '/api' || rawPath.startsWith('/api/')) return false;
      let path: string;
      try {
        path = decodeURIComponent(rawPath);
      } catch {
        return false;
      }
      if (path.includes('\0')) return false;
      const file = resolve(join(root, normalize(path)));
      if (file !== root && !file.startsWith(root + sep)) return false;
      let target = file;
      const st = statOf(target);
      if (!st?.isFile()) {
        // A missing asset is a 404 (not HTML under a script's name); a page path is the app's.
        if (extname(path) !== '' && !path.endsWith('.html')) return false;
        target = join(root, 'index.html');
      }
      const tst = statOf(target);
      if (!tst?.isFile()) {
        reply
          .code(503)
          .type('text/plain; charset=utf-8')
          .send(`The web UI is not built (no ${target}). Build it with \`npm run build:ui\` (npm start and npm test do it); the API is under /api/v1.`);
        return true;
      }
      const ext = extname(target);
      const hashed = target.startsWith(join(root, 'assets') + sep);
      const etag = `W/"${tst.size.toString(16)}-${Math.floor(tst.mtimeMs).toString(16)}"`;
      reply.header('content-security-policy', UI_CSP);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'same-origin');
      reply.header('x-frame-options', 'DENY');
      reply.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      reply.header('etag', etag);
      reply.header('vary', 'accept-encoding');
      reply.type(TYPES[ext] ?? 'application/octet-stream');
      if (req.headers['if-none-match'] === etag) {
        reply.code(304).send();
        return true;
      }
      const gz = `${target}.gz`;
      const acceptsGzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      const gst = COMPRESSED.has(ext) && acceptsGzip ? statOf(gz) : undefined;
      const sendPath = gst?.isFile() ? gz : target;
      if (sendPath === gz) reply.header('content-encoding', 'gzip');
      reply.header('content-length', String((gst?.isFile() ? gst : tst).size));
      reply.code(200);
      if (req.method === 'HEAD') reply.send();
      else reply.send(createReadStream(sendPath));
      return true;
    },
  };
}

function statOf(path: string): Stats | undefined {
  return statSync(path, { throwIfNoEntry: false });
}
