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
  // Pieces are appended to one list and joined once: building each subtree's text and then
  // copying it into its parent's would cost O(size × depth) in memory churn.
  const out: string[] = [];
  return writeStable(value, (piece) => out.push(piece)) ? out.join('') : 'null';
}

/**
 * SHA-256 (hex) of `stableStringify(value)`'s UTF-8 bytes, without building the text: pieces are
 * hashed in chunks as they are made (a 100,000-task definition is tens of MB of JSON). Throws as
 * stableStringify does.
 */
export function stableSha256Hex(value: unknown): string {
  const hash = sha256.create();
  let chunk = '';
  const written = writeStable(value, (piece) => {
    chunk += piece;
    // Pieces are whole JSON tokens (JSON.stringify escapes lone surrogates), so a chunk never
    // ends inside a surrogate pair and its UTF-8 bytes are the text's.
    if (chunk.length >= HASH_CHUNK_CHARS) {
      hash.update(utf8ToBytes(chunk));
      chunk = '';
    }
  });
  if (!written) chunk = 'null';
  if (chunk !== '') hash.update(utf8ToBytes(chunk));
  return bytesToHex(hash.digest());
}

const HASH_CHUNK_CHARS = 64 * 1024;

/** Emits `value`'s canonical JSON in pieces; false (nothing emitted) for values JSON leaves out. */
function writeStable(value: unknown, emit: (piece: string) => void): boolean {
  const seen = new Set<object>();
  const quotedKeys = new Map<string, string>();
  const quoteKey = (k: string): string => {
    let q = quotedKeys.get(k);
    if (q === undefined) {
      q = JSON.stringify(k);
      if (quotedKeys.size < 10_000) quotedKeys.set(k, q);
    }
    return q;
  };
  const go = (v: unknown): boolean => {
    v = unwrap(v, seen);
    if (v === null) {
      emit('null');
      return true;
    }
    switch (typeof v) {
      case 'string':
      case 'boolean':
        emit(JSON.stringify(v));
        return true;
      case 'number':
        emit(Number.isFinite(v) ? JSON.stringify(v) : 'null');
        return true;
      case 'undefined':
      case 'function':
      case 'symbol':
        return false;
      case 'bigint':
        throw new TypeError('stableStringify: BigInt is not JSON data');
      case 'object': {
        seen.add(v);
        if (Array.isArray(v)) {
          emit('[');
          v.forEach((x: unknown, i) => {
            if (i > 0) emit(',');
            if (!go(x)) emit('null');
          });
          emit(']');
        } else {
          const rec = v as Record<string, unknown>;
          emit('{');
          let first = true;
          for (const k of Object.keys(rec).sort()) {
            const x = unwrap(rec[k], seen);
            if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue; // JSON drops the member
            emit(first ? `${quoteKey(k)}:` : `,${quoteKey(k)}:`);
            first = false;
            go(x);
          }
          emit('}');
        }
        seen.delete(v);
        return true;
      }
    }
    return false;
  };
  return go(value);
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
