// Checks of a task body: what an inline DAG task and a DagTask have in common. Reads defensively
// (wrongly typed values were already reported by the shape check and are skipped here).

import { childPath, didYouMean } from './field-path.js';
import { checkParameterName } from './names.js';
import type { Report } from './report.js';
import { IMAGE_PULL_POLICIES, TRIGGER_RULES } from './spec.js';

/** Upper bounds that keep a misconfigured task from retrying or waiting for ever. */
export const LIMITS = {
  backoffLimit: 100,
  exitCode: 255,
  retryDelaySeconds: 86_400,
  retryFactor: 100,
  retryMaxDelaySeconds: 604_800,
  timeoutSeconds: 2_147_483_647,
} as const;

const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?\d+)?$/;
const TOLERATION_OPERATORS = ['Exists', 'Equal'];
const TOLERATION_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** A non-null, non-array object. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string with something other than whitespace in it. */
export function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.trim() !== '';
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * The fields that make a task runnable: an image, and a command or a script. The Go project
 * requires a non-empty `command` list when there is no script (`args` alone is not enough).
 */
export function checkRunnable(body: Record<string, unknown>, path: string, report: Report): void {
  // An approval or dagRef task runs no container (its own checks refuse image and command).
  const noContainer = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (noContainer(body['approval']) || noContainer(body['dagRef'])) return;
  const image = body['image'];
  if (image === undefined || image === null || (typeof image === 'string' && image.trim() === '')) {
    report.add(`${path}.image`, 'required: the container image to run, e.g. "alpine:3.20"');
  }
  const command = body['command'];
  const script = body['script'];
  const hasCommand = Array.isArray(command) && command.length > 0;
  const wronglyTyped = (command !== undefined && command !== null && !Array.isArray(command)) ||
    (script !== undefined && script !== null && typeof script !== 'string');
  if (!hasCommand && !nonEmptyString(script) && !wronglyTyped) {
    report.add(`${path}.command`, 'set command (e.g. ["sh", "-c"]) or script; the task has neither');
  }
}

/**
 * Range and enum checks of the body fields: backoff, conditional, retry delays, timeout,
 * trigger rule, podTemplate; and parameter references, against `declared` when the DAG's
 * parameters are known (undefined for a DagTask, whose parameters are checked by the DAGs that
 * use it).
 */
export function checkTaskBody(
  body: Record<string, unknown>,
  path: string,
  report: Report,
  declared: ReadonlySet<string> | undefined,
): void {
  const backoff = body['backoff'];
  if (isRecord(backoff) && isInt(backoff['limit']) && (backoff['limit'] < 0 || backoff['limit'] > LIMITS.backoffLimit)) {
    report.add(`${path}.backoff.limit`, `must be between 0 and ${LIMITS.backoffLimit} (got ${backoff['limit']})`);
  }
  const conditional = body['conditional'];
  if (isRecord(conditional) && Array.isArray(conditional['retryCodes'])) {
    conditional['retryCodes'].forEach((c: unknown, k) => {
      if (isInt(c) && (c < 0 || c > LIMITS.exitCode)) {
        report.add(`${path}.conditional.retryCodes[${k}]`, `exit codes are between 0 and ${LIMITS.exitCode} (got ${c})`);
      }
    });
  }
  checkParameterRefs(body['parameters'], `${path}.parameters`, report, declared);
  checkRetryDelay(body['retry'], `${path}.retry`, report);
  const timeout = body['timeoutSeconds'];
  if (isInt(timeout) && (timeout < 1 || timeout > LIMITS.timeoutSeconds)) {
    report.add(`${path}.timeoutSeconds`, `must be a positive number of seconds (got ${timeout})`);
  }
  checkTriggerRule(body['triggerRule'], `${path}.triggerRule`, report);
  if (isRecord(body['podTemplate'])) checkPodTemplate(body['podTemplate'], `${path}.podTemplate`, report);
}

/** `triggerRule`, when set, is one of TRIGGER_RULES. */
export function checkTriggerRule(rule: unknown, path: string, report: Report): void {
  if (typeof rule === 'string' && !(TRIGGER_RULES as readonly string[]).includes(rule)) {
    report.add(path, `must be one of ${TRIGGER_RULES.join(', ')} (got ${JSON.stringify(rule)})${didYouMean(rule, TRIGGER_RULES)}`);
  }
}

/** Each listed parameter has a valid name and, when `declared` is given, is declared. */
export function checkParameterRefs(
  list: unknown,
  path: string,
  report: Report,
  declared: ReadonlySet<string> | undefined,
): void {
  if (!Array.isArray(list)) return;
  list.forEach((p: unknown, k) => {
    if (typeof p !== 'string') return;
    if (declared === undefined) {
      const bad = checkParameterName(p);
      if (bad !== undefined) report.add(`${path}[${k}]`, bad);
      return;
    }
    if (!declared.has(p)) report.add(`${path}[${k}]`, undeclaredMessage(p, declared, report));
  });
}

/** How many declared names an "is not declared" message lists (the rest is "..."). */
const LISTED_NAMES = 12;

/**
 * "parameter "x" is not declared in spec.parameters (declared: a, b)" with a did-you-mean (while
 * the report's hint budget lasts). Lists at most LISTED_NAMES names, so many errors stay linear.
 */
export function undeclaredMessage(name: string, declared: ReadonlySet<string>, report: Report): string {
  const first: string[] = [];
  for (const n of declared) {
    if (first.length === LISTED_NAMES) break;
    first.push(n);
  }
  const shown = declared.size > LISTED_NAMES ? `${first.join(', ')}, ...` : first.join(', ');
  const list = declared.size === 0 ? 'the DAG declares no parameters' : `declared: ${shown}`;
  return `parameter ${JSON.stringify(name)} is not declared in spec.parameters${report.hint(name, declared)} (${list})`;
}

function checkRetryDelay(retry: unknown, path: string, report: Report): void {
  if (!isRecord(retry)) return;
  const { delaySeconds: d, factor: f, maxDelaySeconds: m } = retry;
  if (isNum(d) && (d < 0 || d > LIMITS.retryDelaySeconds)) {
    report.add(`${path}.delaySeconds`, `must be between 0 and ${LIMITS.retryDelaySeconds} seconds (got ${d})`);
  }
  if (isNum(f) && (f < 1 || f > LIMITS.retryFactor)) {
    report.add(`${path}.factor`, `must be between 1 (constant delay) and ${LIMITS.retryFactor} (got ${f})`);
  }
  if (isNum(m) && (m < 0 || m > LIMITS.retryMaxDelaySeconds)) {
    report.add(`${path}.maxDelaySeconds`, `must be between 0 and ${LIMITS.retryMaxDelaySeconds} seconds (got ${m})`);
  } else if (isNum(m) && isNum(d) && m < d) {
    report.add(`${path}.maxDelaySeconds`, `must not be less than delaySeconds (${m} < ${d})`);
  }
}

/** The parts of a pod template Kubernetes would refuse at pod creation, caught early. */
export function checkPodTemplate(pt: Record<string, unknown>, path: string, report: Report): void {
  const deadline = pt['activeDeadlineSeconds'];
  if (isInt(deadline) && deadline < 1) {
    report.add(`${path}.activeDeadlineSeconds`, `must be a positive number of seconds (got ${deadline})`);
  }
  const pull = pt['imagePullPolicy'];
  if (typeof pull === 'string' && !(IMAGE_PULL_POLICIES as readonly string[]).includes(pull)) {
    report.add(`${path}.imagePullPolicy`, `must be one of ${IMAGE_PULL_POLICIES.join(', ')} (got ${JSON.stringify(pull)})`);
  }
  const volumes = Array.isArray(pt['volumes']) ? pt['volumes'] : [];
  const seen = new Map<string, number>();
  volumes.forEach((v: unknown, i) => {
    if (!isRecord(v)) return;
    if (!nonEmptyString(v['name'])) report.add(`${path}.volumes[${i}].name`, 'required');
    else if (seen.has(v['name'])) report.add(`${path}.volumes[${i}].name`, `duplicate volume name ${JSON.stringify(v['name'])} (also volumes[${seen.get(v['name'])}])`);
    else seen.set(v['name'], i);
    const pvc = v['persistentVolumeClaim'];
    if (isRecord(pvc) && !nonEmptyString(pvc['claimName'])) report.add(`${path}.volumes[${i}].persistentVolumeClaim.claimName`, 'required');
  });
  requireFields(pt['volumeMounts'], `${path}.volumeMounts`, ['name', 'mountPath'], report);
  requireFields(pt['imagePullSecrets'], `${path}.imagePullSecrets`, ['name'], report);
  const tolerations = Array.isArray(pt['tolerations']) ? pt['tolerations'] : [];
  tolerations.forEach((t: unknown, i) => {
    if (!isRecord(t)) return;
    const op = t['operator'];
    if (typeof op === 'string' && op !== '' && !TOLERATION_OPERATORS.includes(op)) {
      report.add(`${path}.tolerations[${i}].operator`, `must be Exists or Equal (got ${JSON.stringify(op)})`);
    }
    const effect = t['effect'];
    if (typeof effect === 'string' && effect !== '' && !TOLERATION_EFFECTS.includes(effect)) {
      report.add(`${path}.tolerations[${i}].effect`, `must be one of ${TOLERATION_EFFECTS.join(', ')} (got ${JSON.stringify(effect)})`);
    }
  });
  checkResources(pt['resources'], `${path}.resources`, report);
}

/** `limits` / `requests` values are Kubernetes quantities ("250m", "1Gi", "0.5"). */
export function checkResources(res: unknown, path: string, report: Report): void {
  if (!isRecord(res)) return;
  for (const kind of ['limits', 'requests']) {
    const list = res[kind];
    if (!isRecord(list)) continue;
    for (const [name, q] of Object.entries(list)) {
      const text = typeof q === 'number' ? String(q) : q;
      if (typeof text === 'string' && !QUANTITY.test(text)) {
        report.add(
          childPath(`${path}.${kind}`, name),
          `${JSON.stringify(text)} is not a quantity: use a number with an optional suffix such as m, Ki, Mi, Gi (e.g. "250m", "1Gi")`,
        );
      }
    }
  }
}

function requireFields(list: unknown, path: string, fields: readonly string[], report: Report): void {
  if (!Array.isArray(list)) return;
  list.forEach((item: unknown, i) => {
    if (!isRecord(item)) return;
    for (const f of fields) if (!nonEmptyString(item[f])) report.add(`${path}[${i}].${f}`, 'required');
  });
}
