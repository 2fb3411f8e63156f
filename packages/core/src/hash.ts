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
  const seen = new Set<object>();
  /** Appends `v`'s text; false (nothing appended) for values JSON leaves out. */
  const go = (v: unknown): boolean => {
    if (v === null) {
      out.push('null');
      return true;
    }
    switch (typeof v) {
      case 'string':
      case 'boolean':
        out.push(JSON.stringify(v));
        return true;
      case 'number':
        out.push(Number.isFinite(v) ? JSON.stringify(v) : 'null');
        return true;
      case 'undefined':
      case 'function':
      case 'symbol':
        return false;
      case 'bigint':
        throw new TypeError('stableStringify: BigInt is not JSON data');
      case 'object': {
        if (seen.has(v)) throw new TypeError('stableStringify: cyclic value');
        const toJSON = (v as { toJSON?: unknown }).toJSON;
        if (typeof toJSON === 'function') return go((toJSON as () => unknown).call(v));
        seen.add(v);
        if (Array.isArray(v)) {
          out.push('[');
          v.forEach((x: unknown, i) => {
            if (i > 0) out.push(',');
            if (!go(x)) out.push('null');
          });
          out.push(']');
        } else {
          const rec = v as Record<string, unknown>;
          out.push('{');
          let first = true;
          for (const k of Object.keys(rec).sort()) {
            const mark = out.length;
            out.push(first ? '' : ',', JSON.stringify(k), ':');
            if (go(rec[k])) first = false;
            else out.length = mark; // a member JSON drops: take its key back out
          }
          out.push('}');
        }
        seen.delete(v);
        return true;
      }
    }
    return false;
  };
  return go(value) ? out.join('') : 'null';
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
