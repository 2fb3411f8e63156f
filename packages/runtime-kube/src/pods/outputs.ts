// Task outputs through the container's termination message (as Tekton results travel). The task
// writes `$KONTROLER_OUTPUTS/<name>` (an emptyDir at OUTPUTS_DIR); its command runs under a small
// /bin/sh wrapper that, once the command has ended, packs the declared outputs into the
// termination message file and exits with the command's code. The kubelet turns that file into
// `state.terminated.message` (at most 4096 bytes, DATA_FLOW_LIMITS.maxTerminationMessageBytes),
// which the runtime parses when the attempt exited with code 0. Pure.
//
// The message: the line MESSAGE_HEADER, then one record per declared output whose file exists, in
// the declared order: `<name> <bytes>\n` and exactly that many bytes of value. A record that would
// not fit makes the whole message that header and that record's first line alone (the value is
// refused, naming the output); a path that is not a regular file is `<name> -\n`.
import { DATA_FLOW_LIMITS, decodeOutputNames } from '@kontroler/core';
import { GROUP } from './naming.js';

/** Where the task writes its outputs (KONTROLER_OUTPUTS) in the pod. */
export const OUTPUTS_DIR = '/kontroler/outputs';
export const OUTPUTS_VOLUME = 'kontroler-outputs';
/** The main container's terminationMessagePath (the Kubernetes default, set explicitly). */
export const TERMINATION_MESSAGE_PATH = '/dev/termination-log';
/** The pod's declared output names (JSON array), so an adopter without the spec reads the same ones. */
export const OUTPUTS_ANNOTATION = `${GROUP}/outputs`;
/** First line of a message written by the wrapper (versioned: a later format gets another). */
export const MESSAGE_HEADER = 'kontroler-outputs/v1';
/** `$0` of the wrapper: what `ps` shows for it. */
export const WRAPPER_NAME = 'kontroler-outputs';

const LIMIT = DATA_FLOW_LIMITS.maxTerminationMessageBytes;

/** What the exited event carries about outputs (as the local runtime's OutputsRead). */
export interface OutputsRead {
  readonly outputs?: Readonly<Record<string, string>>;
  readonly outputError?: string;
}

/** `s` as one single-quoted shell word. */
function shellWord(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The wrapper script: runs `"$@"`, keeps its exit code, writes the message (see the file
 * comment) to TERMINATION_MESSAGE_PATH and exits with the kept code. It passes SIGTERM on to the
 * command: in a pod only the first process, the wrapper, gets the kubelet's signal. (A command
 * run in the background by a non-interactive shell has no stdin and ignores SIGINT; task pods
 * give it neither.) Needs a POSIX `/bin/sh`, `wc` and `cat` in the image. `paths` other than the
 * pod's are for running it outside a pod (tests).
 */
export function outputsWrapper(names: readonly string[], paths: { readonly dir: string; readonly message: string } = { dir: OUTPUTS_DIR, message: TERMINATION_MESSAGE_PATH }): string {
  return [
    `trap 'kill -TERM "$pid" 2>/dev/null' TERM`,
    `"$@" &`,
    `pid=$!`,
    // wait returns early when a trapped signal arrives: wait again until the command has ended.
    `while :; do wait "$pid"; code=$?; kill -0 "$pid" 2>/dev/null || break; done`,
    `m=${shellWord(paths.message)}`,
    `printf '%s\\n' ${MESSAGE_HEADER} > "$m"`,
    `total=${MESSAGE_HEADER.length + 1}`,
    `for n in ${names.map(shellWord).join(' ')}; do`,
    `  f=${shellWord(paths.dir)}/$n`,
    `  if [ -f "$f" ]; then`,
    `    size=$(wc -c < "$f"); size=$((size + 0)); head="$n $size"`,
    `    total=$((total + \${#head} + 1 + size))`,
    `    if [ "$total" -gt ${LIMIT} ]; then printf '%s\\n%s\\n' ${MESSAGE_HEADER} "$head" > "$m"; break; fi`,
    `    printf '%s\\n' "$head" >> "$m"; cat "$f" >> "$m"`,
    `  elif [ -e "$f" ]; then`,
    `    head="$n -"; total=$((total + \${#head} + 1)); printf '%s\\n' "$head" >> "$m"`,
    `  fi`,
    `done`,
    `exit "$code"`,
  ].join('\n');
}

/**
 * The main container's command: `argv` under the wrapper. The wrapper's `$` are escaped (`$$`)
 * from Kubernetes' `$(VAR)` expansion; `argv` is left as the task wrote it.
 */
export function wrapCommand(names: readonly string[], argv: readonly string[]): string[] {
  return ['/bin/sh', '-c', outputsWrapper(names).replace(/\$/g, '$$$$'), WRAPPER_NAME, ...argv];
}

/** The declared names a pod records (OUTPUTS_ANNOTATION); [] when none (or unreadable). */
export function declaredOutputs(pod: { metadata?: { annotations?: Record<string, string> } }): string[] {
  return decodeOutputNames(pod.metadata?.annotations?.[OUTPUTS_ANNOTATION]);
}

/** One trailing newline is not part of the value (as on the local runtime). */
function stripNewline(text: string): string {
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

function tooLarge(task: string, name: string, size: string): OutputsRead {
  return {
    outputError: `OutputTooLarge: output "${name}" of task ${task} is ${size} bytes and does not fit, with the task's other outputs, in the ${LIMIT}-byte Kubernetes termination message that carries them; write less, or pass a file through the workspace`,
  };
}

/**
 * The declared outputs of task `task` from its main container's termination message. A value
 * that is refused (too large, not a regular file) makes `outputError` and then no outputs are
 * reported, as on the local runtime; so does a message the wrapper did not write.
 */
export function parseOutputs(task: string, message: string | undefined, declared: readonly string[]): OutputsRead {
  if (declared.length === 0) return {};
  const bytes = Buffer.from(message ?? '', 'utf8');
  if (bytes.length > LIMIT) {
    return { outputError: `OutputTooLarge: the outputs of task ${task} (${declared.join(', ')}) take ${bytes.length} bytes, over the ${LIMIT}-byte Kubernetes termination message that carries them; write less, or pass a file through the workspace` };
  }
  const header = Buffer.from(`${MESSAGE_HEADER}\n`);
  if (!bytes.subarray(0, header.length).equals(header)) {
    return {
      outputError: `OutputError: the termination message of task ${task} does not hold its outputs (${message === undefined || message === '' ? 'it is empty' : `it does not start with ${MESSAGE_HEADER}`}): the image needs /bin/sh for outputs on Kubernetes, and the task must not write ${TERMINATION_MESSAGE_PATH} itself`,
    };
  }
  const wanted = new Set(declared);
  const outputs: Array<[string, string]> = [];
  let at = header.length;
  while (at < bytes.length) {
    const nl = bytes.indexOf(0x0a, at);
    const line = bytes.subarray(at, nl === -1 ? bytes.length : nl).toString('utf8');
    const m = /^([^ ]+) (-|\d+)$/.exec(line);
    if (nl === -1 || !m) {
      // Kubernetes carries the message as a string: bytes that are not UTF-8 became U+FFFD, and the lengths no longer match.
      const why = bytes.includes(Buffer.from('\uFFFD')) ? '; is a value not UTF-8 text? write values as UTF-8 text' : '';
      return { outputError: `OutputError: the termination message of task ${task} is not in the form its outputs wrapper writes (at byte ${at})${why}` };
    }
    const name = m[1] as string;
    const size = m[2] as string;
    at = nl + 1;
    if (size === '-') {
      if (wanted.has(name)) return { outputError: `OutputError: output "${name}" of task ${task} is not a regular file; write the value to a regular file` };
      continue;
    }
    const n = Number(size);
    // The wrapper writes no value that does not fit; a kubelet that cut the message would too.
    if (at + n > bytes.length) return tooLarge(task, name, size);
    if (wanted.has(name)) outputs.push([name, stripNewline(bytes.subarray(at, at + n).toString('utf8'))]);
    at += n;
  }
  // fromEntries defines keys: any name is kept as a key, even one the validation refuses.
  return { outputs: Object.fromEntries(outputs) };
}
