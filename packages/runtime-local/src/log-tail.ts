// Reads an attempt's log file incrementally from a byte offset, delivering each byte once and in
// order. Reads are triggered from outside (file watcher, poll, exit) and coalesce: any number of
// pokes during a read cause exactly one more read.
import { open, type FileHandle } from 'node:fs/promises';
import { isErrno } from './attempt-files.js';

const CHUNK = 64 * 1024;

export class LogTail {
  private running: Promise<void> | undefined;
  private again = false;
  private readonly buf = Buffer.allocUnsafe(CHUNK);

  constructor(
    private readonly path: string,
    /** Next byte to deliver. */
    private offset: number,
    private readonly onData: (offset: number, data: Uint8Array) => void,
    private readonly onError: (e: unknown) => void,
    /** An open handle on the log, when the caller has one (it then need not exist by `path`). */
    private fh?: FileHandle,
  ) {}

  /** Read what is new, now or right after the read in progress. Never rejects. */
  poke(): void {
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.loop();
  }

  /** Resolves once every byte written before the call has been delivered. */
  async drain(): Promise<void> {
    this.poke();
    await this.running;
  }

  /** Waits for the read in progress, then closes the file. */
  async close(): Promise<void> {
    await this.running;
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.readToEnd();
      } while (this.again);
    } catch (e) {
      this.onError(e);
    } finally {
      // Synchronously after the last `again` check, so no poke can fall in between.
      this.running = undefined;
    }
  }

  private async readToEnd(): Promise<void> {
    if (this.fh === undefined) {
      try {
        this.fh = await open(this.path, 'r');
      } catch (e) {
        if (isErrno(e, 'ENOENT')) return; // the supervisor has not created it yet
        throw e;
      }
    }
    for (;;) {
      const { bytesRead } = await this.fh.read(this.buf, 0, CHUNK, this.offset);
      if (bytesRead === 0) return;
      const at = this.offset;
      this.offset += bytesRead;
      this.onData(at, Buffer.from(this.buf.subarray(0, bytesRead)));
      if (bytesRead < CHUNK) return;
    }
  }
}
