// Name rules. Each returns undefined when the name is fine, else a message saying what to change.
// Pure; never throw.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const TASK_NAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const ENV_NAME = /^[A-Za-z_.-][A-Za-z0-9_.-]*$/;

/**
 * `__proto__` is refused wherever a user's name becomes a key of a JavaScript object (task,
 * parameter and output names): assigning it sets the object's prototype instead of a key, so the
 * value would be lost. Undefined when `name` is fine.
 */
export function checkReservedName(name: string): string | undefined {
  return name === '__proto__' ? '"__proto__" is reserved; choose another name' : undefined;
}

/**
 * Kubernetes object names (metadata.name of DAG, DagTask, DagRun; a DagRun's dagName): a
 * DNS-1123 subdomain, at most 253 characters of lower-case letters, digits, `-` and `.`,
 * starting and ending with a letter or digit.
 */
export function checkResourceName(name: string): string | undefined {
  if (name.length > 253) return `must be at most 253 characters (has ${name.length})`;
  if (!DNS1123_SUBDOMAIN.test(name)) {
    return `${JSON.stringify(name)} is not a valid name: use lower-case letters, digits, "-" and ".", starting and ending with a letter or digit`;
  }
  return undefined;
}

/** Namespaces: a DNS-1123 label, at most 63 lower-case letters, digits and `-`. */
export function checkNamespace(name: string): string | undefined {
  if (name.length > 63) return `must be at most 63 characters (has ${name.length})`;
  if (!DNS1123_LABEL.test(name)) {
    return `${JSON.stringify(name)} is not a valid namespace: use lower-case letters, digits and "-", starting and ending with a letter or digit`;
  }
  return undefined;
}

/**
 * Task names. The Go project only requires them non-empty; we also refuse what cannot be shown
 * in a graph or used as an identifier (spaces, `/`, `:` ...): letters, digits, `_`, `-`, `.`,
 * at most 63 characters, starting and ending with a letter, digit or `_`. Every name the DSL's
 * identifier rule allows is accepted, and the kube runtime maps names to container names itself.
 */
export function checkTaskName(name: string): string | undefined {
  if (name.length > 63) return `must be at most 63 characters (has ${name.length})`;
  const reserved = checkReservedName(name);
  if (reserved !== undefined) return reserved;
  if (!TASK_NAME.test(name)) {
    return `${JSON.stringify(name)} is not a valid task name: use letters, digits, "_", "-" and ".", starting and ending with a letter, digit or "_"`;
  }
  return undefined;
}

/**
 * Parameter names become environment variable names of the task (Kubernetes' rule: letters,
 * digits, `_`, `-`, `.`, not starting with a digit).
 */
export function checkParameterName(name: string): string | undefined {
  const reserved = checkReservedName(name);
  if (reserved !== undefined) return reserved;
  if (!ENV_NAME.test(name)) {
    return `${JSON.stringify(name)} is not a valid parameter name: it becomes an environment variable, so use letters, digits, "_", "-" and ".", not starting with a digit`;
  }
  return undefined;
}

/** Webhook URLs: absolute http:// or https:// with a host, no spaces. */
export function checkHttpUrl(url: string): string | undefined {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#\s]*)([^\s]*)$/.exec(url);
  if (m === null) return `${JSON.stringify(url)} is not an absolute URL (expected http://host/... or https://host/...)`;
  const scheme = (m[1] ?? '').toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return `scheme ${JSON.stringify(scheme)} is not supported; use http or https`;
  const authority = m[2] ?? '';
  const host = authority.replace(/^[^@]*@/, '').replace(/:\d*$/, '');
  if (host === '') return `${JSON.stringify(url)} has no host`;
  return undefined;
}
