import type { LogChunk, PoolLike } from '@kontroler/store';
import { appendLogs } from '@kontroler/store';

/**
 * Buffers attempt output and writes it to the store in batches (every `intervalMs`, or sooner when
 * `maxBytes` are waiting). `flush()` resolves once everything handed in before it has been written,
 * or, if the store failed, put back to be written again a second later: output is never dropped.
 */
export class LogWriter {
  private buf: LogChunk[] = [];
  private bytes = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly pool: PoolLike,
    private readonly onError: (err: unknown) => void,
    private readonly intervalMs = 100,
    private readonly maxBytes = 512 * 1024,
  ) {}

  add(chunk: LogChunk): void {
    this.buf.push(chunk);
    this.bytes += chunk.data.byteLength;
    if (this.bytes >= this.maxBytes) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.intervalMs);
  }

  /** Writes what is buffered (one try) and stops retrying: for shutdown. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.buf;
    this.buf = [];
    this.bytes = 0;
    this.writing = this.writing.then(async () => {
      if (batch.length === 0) return;
      try {
        await appendLogs(this.pool, batch);
      } catch (err) {
        // Keep the output: put it back in front and try again shortly (appends are idempotent).
        this.onError(err);
        this.buf.unshift(...batch);
        this.bytes += batch.reduce((n, c) => n + c.data.byteLength, 0);
        if (!this.timer && !this.closed) this.timer = setTimeout(() => void this.flush(), 1000);
      }
    });
    return this.writing;
  }
}
