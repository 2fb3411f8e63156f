// A container's termination message, as kubelet makes it (pkg/kubelet/kuberuntime): before the
// container starts, an empty file per container attempt, `<podDir>/containers/<name>/<id>` (mode
// 0666), is bind-mounted at its `terminationMessagePath`; once it has exited, the last
// MAX_MESSAGE_BYTES of that file become `state.terminated.message`. Under the
// `FallbackToLogsOnError` policy, a failed container that left the file empty gets the tail of its
// log instead (its last MAX_LOG_LINES lines, at most MAX_LOG_BYTES).
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { V1Container } from '@kubernetes/client-node';
import { formatLine, parseLine } from './log-reader.js';
import type { Mount } from './volumes.js';

/** kubelet's MaxContainerTerminationMessageLength: bytes of the file that become the message. */
export const MAX_MESSAGE_BYTES = 4096;
/** kubelet's MaxContainerTerminationMessageLogLines: log lines a fallback message takes. */
export const MAX_LOG_LINES = 80;
/** kubelet's MaxContainerTerminationMessageLogLength: bytes a fallback message keeps (the last). */
export const MAX_LOG_BYTES = 2048;
/** Bytes of a CRI log read for a fallback message: the last lines' text and their framing. */
const LOG_READ_BYTES = 64 * 1024;
/** What the apiserver defaults a container's `terminationMessagePath` to. */
export const DEFAULT_MESSAGE_PATH = '/dev/termination-log';

export type MessagePolicy = 'File' | 'FallbackToLogsOnError';

/** The message file of one container attempt: on the host, and where the container sees it. */
export interface MessageFile {
  readonly mount: Mount;
  readonly policy: MessagePolicy;
}

/**
 * Creates the empty message file of a container attempt under `podDir` and the mount that puts it
 * at the container's `terminationMessagePath`. Undefined when the container has no path (an empty
 * one turns the message off, as in kubelet).
 */
export async function prepareMessageFile(podDir: string, c: V1Container): Promise<MessageFile | undefined> {
  const path = c.terminationMessagePath ?? DEFAULT_MESSAGE_PATH;
  if (path === '') return undefined;
  const dir = join(podDir, 'containers', c.name);
  await mkdir(dir, { recursive: true });
  const hostPath = join(dir, randomBytes(8).toString('hex'));
  await writeFile(hostPath, '', { flag: 'wx' });
  // As kubelet does: whatever the umask, any container user may write its message.
  await chmod(hostPath, 0o666);
  return { mount: { hostPath, containerPath: path, readOnly: false }, policy: c.terminationMessagePolicy === 'FallbackToLogsOnError' ? 'FallbackToLogsOnError' : 'File' };
}

/**
 * The message of an exited container attempt: the last MAX_MESSAGE_BYTES of its file; under
 * FallbackToLogsOnError, when that is empty and the exit code is not 0, the tail of the CRI log
 * at `logPath`. Undefined when there is nothing to say. Never throws: an unreadable file is
 * reported in the message, as kubelet does.
 */
export async function readMessage(file: MessageFile | undefined, exitCode: number, logPath: string): Promise<string | undefined> {
  let text = '';
  if (file) {
    try {
      text = (await readTail(file.mount.hostPath, MAX_MESSAGE_BYTES)).toString('utf8');
    } catch (err) {
      return `Error on reading termination log ${file.mount.hostPath}: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  const fallback = (file?.policy ?? 'File') === 'FallbackToLogsOnError' && exitCode !== 0;
  if (text === '' && fallback) text = await logTail(logPath);
  return text === '' ? undefined : text;
}

/** The last `max` bytes of the file at `path` (kubelet's tail.ReadAtMost). */
export async function readTail(path: string, max: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const start = Math.max(0, size - max);
    const buf = Buffer.alloc(size - start);
    let n = 0;
    while (n < buf.length) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, start + n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    return buf.subarray(0, n);
  } finally {
    await fh.close();
  }
}

/** The last MAX_LOG_LINES lines of a CRI log (both streams, no timestamps), its last MAX_LOG_BYTES kept. */
export async function logTail(logPath: string): Promise<string> {
  let raw: Buffer;
  try {
    raw = await readTail(logPath, LOG_READ_BYTES);
  } catch {
    return '';
  }
  const lines = raw.toString('utf8').split('\n');
  lines.pop();
  // A tail that may have started inside a line: that line is not whole.
  if (raw.length === LOG_READ_BYTES) lines.shift();
  const text = lines
    .map(parseLine)
    .filter((l) => l !== undefined)
    .slice(-MAX_LOG_LINES)
    .map((l) => formatLine(l, false))
    .join('');
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= MAX_LOG_BYTES ? text : bytes.subarray(bytes.length - MAX_LOG_BYTES).toString('utf8');
}
