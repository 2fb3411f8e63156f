// Releasing an attempt removes its folder. Removing it file by file costs this process half a
// dozen file system calls per attempt; instead the folder is renamed into <stateDir>/trash (one
// call: from then on it is gone from where anyone looks) and trash is emptied in bulk, by one
// `rm -rf` forked by the spawner for many folders, or by us when there is no spawner.
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { PRIVATE_DIR } from './private-modes.js';
import { join } from 'node:path';
import { isErrno } from './attempt-files.js';

/** Empty the trash this long after something was put in it, or at once when this much is waiting. */
const FLUSH_AFTER_MS = 200;
const FLUSH_AT = 200;

export interface TrashOptions {
  readonly dir: string;
  /** Deletes these paths in the background; false when it cannot (we then delete them ourselves). */
  readonly removeInBackground: (paths: readonly string[]) => Promise<boolean>;
  readonly log: (msg: string) => void;
}

let instances = 0;

export class Trash {
  private queued: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  /** Leftovers of an earlier process (which died before emptying it) go with our first batch. */
  private swept = false;
  private flushing: Promise<void> = Promise.resolve();
  private readonly prefix = `${process.pid}-${Date.now().toString(36)}-${++instances}-`;

  constructor(private readonly opts: TrashOptions) {}

  /** Moves `path` into the trash; nothing happens when it does not exist. */
  async discard(path: string): Promise<void> {
    const to = join(this.opts.dir, `${this.prefix}${++this.seq}`);
    for (let tries = 0; ; tries++) {
      try {
        await rename(path, to);
        break;
      } catch (e) {
        // ENOENT: the source is gone (already released) or the trash folder does not exist yet.
        if (isErrno(e, 'ENOENT') && tries === 0) {
          await mkdir(this.opts.dir, { recursive: true, mode: PRIVATE_DIR });
          continue;
        }
        if (isErrno(e, 'ENOENT')) return;
        // Cannot be renamed (another file system?): delete it in place.
        await rm(path, { recursive: true, force: true });
        return;
      }
    }
    this.queued.push(to);
    if (this.queued.length >= FLUSH_AT) void this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_AFTER_MS);
      this.timer.unref(); // what is left when we exit goes with a later process's first batch
    }
  }

  /** Starts emptying what is queued; resolves once that is handed over (or done). */
  flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queued;
    this.queued = [];
    this.flushing = this.flushing.then(async () => {
      if (!this.swept) {
        this.swept = true;
        const names = await readdir(this.opts.dir).catch(() => [] as string[]);
        for (const name of names) {
          const p = join(this.opts.dir, name);
          if (!name.startsWith(this.prefix) && !batch.includes(p)) batch.push(p);
        }
      }
      if (batch.length === 0) return;
      if (await this.opts.removeInBackground(batch).catch(() => false)) return;
      await Promise.all(
        batch.map((p) => rm(p, { recursive: true, force: true }).catch((e: unknown) => this.opts.log(`local runtime: cannot delete ${p}: ${String(e)}`))),
      );
    });
    return this.flushing;
  }
}
