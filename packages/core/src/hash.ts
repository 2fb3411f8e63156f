// Stable hashing of specs, in pure code (core has no Node APIs): canonical JSON + SHA-256 from
// @noble/hashes (audited, pure JavaScript, the same in browsers and Node).
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * Canonical JSON: object keys sorted (by UTF-16 code units), `undefined` members and
 * non-JSON values (functions, symbols) dropped as JSON.stringify does, no whitespace. Equal data
 * gives equal text whatever the key order. Throws TypeError on cycles and BigInt (not data).
 */
export function stableStringify(value: unknown): string {
  // Text is handed over in chunks and joined once: building each subtree's text and then
  // copying it into its parent's would cost O(size × depth) in memory churn.
  const out: string[] = [];
  const w = new StableWriter((chunk) => out.push(chunk));
  if (!w.write(value)) return 'null';
  w.flush();
  return out.join('');
}

/**
 * SHA-256 (hex) of `stableStringify(value)`'s UTF-8 bytes, without building the text: chunks are
 * hashed as they are made (a 100,000-task definition is tens of MB of JSON). Throws as
 * stableStringify does.
 */
export function stableSha256Hex(value: unknown, impl: Sha256 = PURE_SHA256): string {
  const hash = impl.create();
  // Chunks end between JSON tokens (JSON.stringify escapes lone surrogates), so a chunk never
  // ends inside a surrogate pair and its UTF-8 bytes are the text's.
  const w = new StableWriter((chunk) => hash.update(chunk));
  if (!w.write(value)) hash.update('null');
  w.flush();
  return hash.digestHex();
}

/**
 * A SHA-256 implementation over UTF-8 text given in pieces (each piece well-formed UTF-16).
 * Core's own is pure JavaScript (browsers, the UI); Node's `crypto` gives the same digests several
 * times faster, and the store passes it for large definitions.
 */
export interface Sha256 {
  create(): { update(text: string): void; digestHex(): string };
}

/** SHA-256 of @noble/hashes (pure JavaScript). */
export const PURE_SHA256: Sha256 = {
  create() {
    const h = sha256.create();
    return {
      update: (text) => void h.update(utf8ToBytes(text)),
      digestHex: () => bytesToHex(h.digest()),
    };
  },
};

/** Characters of canonical JSON collected before they are handed on. */
const CHUNK_CHARS = 64 * 1024;

/** Writes canonical JSON into a string, handing it on in chunks of about CHUNK_CHARS. */
class StableWriter {
  private buf = '';
  private readonly seen = new Set<object>();
  private readonly quotedKeys = new Map<string, string>();

  constructor(private readonly onChunk: (chunk: string) => void) {}

  flush(): void {
    if (this.buf !== '') this.onChunk(this.buf);
    this.buf = '';
  }

  private quoteKey(k: string): string {
    let q = this.quotedKeys.get(k);
    if (q === undefined) {
      q = JSON.stringify(k);
      if (this.quotedKeys.size < 10_000) this.quotedKeys.set(k, q);
    }
    return q;
  }

  /** Appends `v`'s text; false (nothing appended) for values JSON leaves out. */
  write(value: unknown): boolean {
    const v = unwrap(value, this.seen);
    if (v === null) {
      this.buf += 'null';
      return true;
    }
    switch (typeof v) {
      case 'string':
      case 'boolean':
        this.buf += JSON.stringify(v);
        return true;
      case 'number':
        this.buf += Number.isFinite(v) ? JSON.stringify(v) : 'null';
        return true;
      case 'undefined':
      case 'function':
      case 'symbol':
        return false;
      case 'bigint':
        throw new TypeError('stableStringify: BigInt is not JSON data');
      case 'object': {
        this.seen.add(v);
        if (Array.isArray(v)) {
          this.buf += '[';
          for (let i = 0; i < v.length; i++) {
            if (i > 0) this.buf += ',';
            if (!this.write(v[i])) this.buf += 'null';
          }
          this.buf += ']';
        } else {
          const rec = v as Record<string, unknown>;
          this.buf += '{';
          let first = true;
          for (const k of Object.keys(rec).sort()) {
            const x = unwrap(rec[k], this.seen);
            if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue; // JSON drops the member
            this.buf += first ? `${this.quoteKey(k)}:` : `,${this.quoteKey(k)}:`;
            first = false;
            this.write(x);
          }
          this.buf += '}';
        }
        this.seen.delete(v);
        if (this.buf.length >= CHUNK_CHARS) this.flush();
        return true;
      }
    }
    return false;
  }
}

/** What JSON text stands for `v`: its `toJSON()` result (again while that has one); throws on cycles. */
function unwrap(v: unknown, seen: ReadonlySet<object>): unknown {
  while (typeof v === 'object' && v !== null) {
    if (seen.has(v)) throw new TypeError('stableStringify: cyclic value');
    const toJSON = (v as { toJSON?: unknown }).toJSON;
    if (typeof toJSON !== 'function') break;
    v = (toJSON as () => unknown).call(v);
  }
  return v;
}

/** UTF-8 bytes of a string (lone surrogates become U+FFFD, as TextEncoder does). */
export function utf8Bytes(text: string): Uint8Array {
  return utf8ToBytes(text);
}

/**
 * SHA-256 (FIPS 180-4) of a string's UTF-8 bytes, or of bytes, as 64 lower-case hex digits.
 * Stored DAG versions are compared by this hash: its output must never change (test/hash.test.ts
 * holds known values).
 */
export function sha256Hex(input: string | Uint8Array): string {
  return bytesToHex(sha256(typeof input === 'string' ? utf8ToBytes(input) : input));
}
