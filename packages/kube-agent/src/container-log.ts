import { EventEmitter } from 'node:events';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type LogStream = 'stdout' | 'stderr';

const MAX_LINE = 16 * 1024;

/**
 * One container attempt's log, in the CRI format kubelet reads
 * (`<RFC3339Nano> <stdout|stderr> <F|P> <text>` per line; P marks a partial line). Writes are
 * synchronous appends so a reader that saw `size` can always read that many bytes. Emits
 * `append` after each write and `close` once the container has exited.
 */
export class ContainerLog extends EventEmitter {
  private readonly pending: Record<LogStream, string> = { stdout: '', stderr: '' };
  private bytes = 0;
  private ended = false;

  constructor(readonly path: string) {
    super();
    this.setMaxListeners(0);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '');
  }

  get size(): number {
    return this.bytes;
  }

  get closed(): boolean {
    return this.ended;
  }

  write(stream: LogStream, chunk: Buffer | string): void {
    if (this.ended) return;
    let text = this.pending[stream] + chunk.toString();
    let out = '';
    let nl: number;
    while ((nl = text.indexOf('\n')) !== -1) {
      out += entry(stream, 'F', text.slice(0, nl));
      text = text.slice(nl + 1);
    }
    while (text.length > MAX_LINE) {
      out += entry(stream, 'P', text.slice(0, MAX_LINE));
      text = text.slice(MAX_LINE);
    }
    this.pending[stream] = text;
    this.append(out);
  }

  /** Flushes unterminated output as a full line (as containerd does at EOF) and ends the log. */
  close(): void {
    if (this.ended) return;
    let out = '';
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.pending[stream] !== '') out += entry(stream, 'F', this.pending[stream]);
      this.pending[stream] = '';
    }
    this.append(out);
    this.ended = true;
    this.emit('close');
  }

  private append(out: string): void {
    if (out === '') return;
    appendFileSync(this.path, out);
    this.bytes += Buffer.byteLength(out);
    this.emit('append');
  }
}

function entry(stream: LogStream, tag: 'F' | 'P', text: string): string {
  return `${new Date().toISOString()} ${stream} ${tag} ${text}\n`;
}
