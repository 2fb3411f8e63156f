// What the attempt's process sees: its argv and its environment. Pure functions.
import { KontrolerError } from '@kontroler/core';
import type { AttemptSpec } from '@kontroler/engine';
import { describeKey } from './paths.js';

/** Names inherited from the runtime's own environment; nothing else leaks into attempts. */
export const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'TZ'] as const;

export type Env = Record<string, string>;

/** The subset of `source` (usually `process.env`) that attempts inherit. */
export function pickInherited(source: Readonly<Record<string, string | undefined>>): Env {
  const env: Env = {};
  for (const name of INHERITED_ENV) {
    const value = source[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/**
 * The variables an attempt defines: the parameters exactly as given, then the KONTROLER_*
 * variables (which win, so a parameter cannot fake its identity). The process gets these on top
 * of the inherited basics; `$(VAR)` in command and args expands from these alone, as in a pod.
 * Throws VALIDATION_FAILED for names or values a process environment cannot hold; the message
 * names the variable but never shows a value (they may be secret).
 */
export function attemptEnv(spec: AttemptSpec, workspace: string | undefined, outputs?: string): Env {
  for (const [name, value] of Object.entries(spec.env)) {
    if (name.length === 0 || name.includes('=') || name.includes('\0')) {
      throw new KontrolerError(
        'VALIDATION_FAILED',
        `attempt ${describeKey(spec)}: parameter name ${JSON.stringify(name)} cannot be an environment variable: use a name without "=" or NUL`,
      );
    }
    if (value.includes('\0')) {
      throw new KontrolerError(
        'VALIDATION_FAILED',
        `attempt ${describeKey(spec)}: the value of parameter ${name} contains a NUL byte, which an environment variable cannot hold`,
      );
    }
  }
  const env: Env = { ...spec.env };
  env.KONTROLER_RUN_ID = spec.runId;
  env.KONTROLER_TASK = spec.task;
  env.KONTROLER_ATTEMPT = String(spec.attempt);
  env.KONTROLER_DAG = spec.dagName;
  env.KONTROLER_NAMESPACE = spec.namespace;
  if (workspace !== undefined) env.KONTROLER_WORKSPACE = workspace;
  if (outputs !== undefined) env.KONTROLER_OUTPUTS = outputs;
  return env;
}

/**
 * Kubernetes' `$(VAR)` expansion of command and args, so a task behaves as it would in a pod:
 * `$(NAME)` becomes the variable's value when NAME is defined, stays as written otherwise, and
 * `$$` is an escaped `$`. No shell is involved (k8s.io/kubernetes third_party/forked/golang/expansion).
 */
export function expandK8sVars(input: string, vars: Readonly<Env>): string {
  let out = '';
  let checkpoint = 0;
  for (let i = 0; i < input.length; i++) {
    if (input[i] !== '$' || i + 1 >= input.length) continue;
    out += input.slice(checkpoint, i);
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i += 1;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close === -1) {
        out += '$(';
        i += 1;
      } else {
        const name = input.slice(i + 2, close);
        const value = Object.hasOwn(vars, name) ? vars[name] : undefined;
        out += value ?? `$(${name})`;
        i = close;
      }
    } else {
      out += `$${next ?? ''}`;
      i += 1;
    }
    checkpoint = i + 1;
  }
  return out + input.slice(checkpoint);
}

export interface Invocation {
  /** argv[0] is looked up in PATH, like a container's command. */
  readonly argv: readonly string[];
  /** First line of the log: what runs and that the image is not used. Never contains env values. */
  readonly banner: string;
}

const MAX_SHOWN = 300;

function shown(text: string): string {
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}...` : text;
}

/**
 * What to execute: `script` (run by /bin/sh; command and args are then ignored, as in Kontroler)
 * or `command` + `args` as a plain argv. Throws VALIDATION_FAILED when there is neither.
 */
export function invocation(spec: AttemptSpec, vars: Readonly<Env>): Invocation {
  const image = spec.image === '' ? 'no image' : `image ${JSON.stringify(spec.image)} is not pulled`;
  if (spec.script !== undefined && spec.script.trim() !== '') {
    return {
      argv: ['/bin/sh', '-c', spec.script, 'script'],
      banner: `[kontroler] local runtime: ${image}; running its script with /bin/sh on this machine`,
    };
  }
  const raw = [...spec.command, ...spec.args];
  if (spec.command.length === 0 || spec.command[0] === '') {
    throw new KontrolerError(
      'VALIDATION_FAILED',
      `attempt ${describeKey(spec)} has neither a command nor a script: give task "${spec.task}" a command (and args) or a script`,
    );
  }
  if (raw.some((a) => a.includes('\0'))) {
    throw new KontrolerError(
      'VALIDATION_FAILED',
      `attempt ${describeKey(spec)}: a command or args entry contains a NUL byte, which a process argument cannot hold`,
    );
  }
  return {
    argv: raw.map((a) => expandK8sVars(a, vars)),
    // The unexpanded argv: `$(SECRET)` stays a reference here, so no value is shown.
    banner: `[kontroler] local runtime: ${image}; running ${shown(JSON.stringify(raw))} on this machine`,
  };
}
