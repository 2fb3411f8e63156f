// The Docker Engine API's multiplexed log stream (containers without a TTY): frames of an 8-byte
// header (stream type, 3 zero bytes, big-endian payload length) and the payload. Pure.

const HEADER = 8;

/** Splits a multiplexed stream into its payloads; feed chunks as they come, frames may span them. */
export class Demuxer {
  private pending: Uint8Array = new Uint8Array(0);
  /** Bytes of the current frame's payload still to come. */
  private remaining = 0;

  constructor(private readonly onPayload: (data: Uint8Array) => void) {}

  push(chunk: Uint8Array): void {
    let buf = chunk;
    while (buf.length > 0) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, buf.length);
        this.onPayload(buf.subarray(0, n));
        this.remaining -= n;
        buf = buf.subarray(n);
        continue;
      }
      if (this.pending.length + buf.length < HEADER) {
        this.pending = concat(this.pending, buf);
        return;
      }
      const need = HEADER - this.pending.length;
      const header = concat(this.pending, buf.subarray(0, need));
      this.pending = new Uint8Array(0);
      buf = buf.subarray(need);
      this.remaining = new DataView(header.buffer, header.byteOffset, HEADER).getUint32(4);
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** The payloads of a whole multiplexed buffer, joined. */
export function demuxAll(buf: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  new Demuxer((d) => parts.push(d.slice())).push(buf);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
