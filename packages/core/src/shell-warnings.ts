// Warnings (not errors) about parameters substituted into shell code. `$(NAME)` in command and
// args is replaced by the parameter's value before the process starts (Kubernetes semantics,
// kept on purpose), so in `sh -c "echo $(MSG)"` the value becomes part of the script: a value
// set by whoever starts the run, or taken from an inbound trigger's payload, can then run as
// shell code (`x; rm -rf ~`). The safe form reads the environment variable inside the script,
// quoted: `sh -c 'echo "$MSG"'`.

import type { FieldError } from './errors.js';
import { childPath, type Locator } from './field-path.js';
import { applyDsl } from './dsl-merge.js';
import type { DagSpec } from './spec.js';

/** Programs that take a script with `-c`. */
const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'busybox']);

/** Most warnings listed per resource (the rest would say the same thing). */
export const MAX_SHELL_WARNINGS = 50;

/**
 * One warning per `$(NAME)` of a parameter the task lists that appears in the script argument of
 * a shell's `-c` (in `command` or `args`), for a DAG (its tasks, DSL included) or a DagTask.
 * The path is the argument's, e.g. `spec.task[0].args[1]`. Pure; never throws.
 */
export function shellParameterWarnings(resource: unknown, opts: { locate?: Locator } = {}): FieldError[] {
  const out: FieldError[] = [];
  if (!isRecord(resource) || !isRecord(resource['spec'])) return out;
  const spec = resource['spec'];
  if (resource['kind'] === 'DagTask') {
    checkBody(spec, 'spec', out, opts.locate);
  } else if (resource['kind'] === 'DAG') {
    let expanded: Record<string, unknown> = spec;
    try {
      expanded = applyDsl(spec as DagSpec).spec as Record<string, unknown>;
    } catch {
      // a malformed DSL is validation's business
    }
    const tasks = Array.isArray(expanded['task']) ? expanded['task'] : [];
    tasks.forEach((t: unknown, i) => {
      if (isRecord(t) && !isRecord(t['taskRef'])) checkBody(t, `spec.task[${i}]`, out, opts.locate);
    });
  }
  return out.slice(0, MAX_SHELL_WARNINGS);
}

function checkBody(body: Record<string, unknown>, path: string, out: FieldError[], locate: Locator | undefined): void {
  const params = new Set((Array.isArray(body['parameters']) ? body['parameters'] : []).filter((p): p is string => typeof p === 'string'));
  if (params.size === 0) return;
  const argv: Array<{ value: string; path: string }> = [];
  for (const field of ['command', 'args'] as const) {
    const list = body[field];
    if (!Array.isArray(list)) continue;
    list.forEach((v: unknown, k) => {
      if (typeof v === 'string') argv.push({ value: v, path: childPath(`${path}.${field}`, k) });
    });
  }
  for (const script of shellScripts(argv)) {
    for (const name of substitutedNames(script.value)) {
      if (!params.has(name) || out.length >= MAX_SHELL_WARNINGS) continue;
      out.push({
        path: script.path,
        message:
          `warning: $(${name}) is substituted into the shell script before the shell runs, so a value with shell syntax ` +
          `(for instance from an inbound trigger's payload) runs as code; read the environment variable instead, quoted: "$${name}"`,
        ...locate?.(script.path),
      });
    }
  }
}

/** The script arguments of `SHELL [flags] -c SCRIPT` anywhere in argv (e.g. after `env` or `exec`). */
function shellScripts(argv: ReadonlyArray<{ value: string; path: string }>): Array<{ value: string; path: string }> {
  const out: Array<{ value: string; path: string }> = [];
  for (let i = 0; i < argv.length; i++) {
    const prog = (argv[i]?.value ?? '').split('/').pop() ?? '';
    if (!SHELLS.has(prog)) continue;
    let j = i + 1;
    if (prog === 'busybox' && argv[j]?.value !== undefined && SHELLS.has(argv[j]?.value ?? '')) j++;
    for (; j < argv.length; j++) {
      const a = argv[j]?.value ?? '';
      if (!a.startsWith('-') || a === '--') break;
      if (/^-[a-z]*c[a-z]*$/i.test(a)) {
        const script = argv[j + 1];
        if (script !== undefined) out.push(script);
        i = j + 1; // `busybox sh -c X` is one shell
        break;
      }
    }
  }
  return out;
}

/** Names in `$(NAME)` references that Kubernetes expansion would replace (`$$(X)` is an escape). */
function substitutedNames(s: string): string[] {
  const names: string[] = [];
  for (let i = 0; i < s.length - 1; i++) {
    if (s[i] !== '$') continue;
    if (s[i + 1] === '$') {
      i++;
      continue;
    }
    if (s[i + 1] !== '(') continue;
    const end = s.indexOf(')', i + 2);
    if (end < 0) break;
    names.push(s.slice(i + 2, end));
    i = end;
  }
  return names;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
