// podTemplate.resources.limits (Kubernetes quantities) as container limits. Pure.
import { KontrolerError } from '@kontroler/core';

const BINARY: Readonly<Record<string, number>> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Readonly<Record<string, number>> = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const QUANTITY = /^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)|[eE]([+-]?[0-9]+))?$/;

/** A Kubernetes quantity (`500m`, `1.5`, `128Mi`, `1G`, `1e3`) as a number; undefined when it is not one. */
export function parseQuantity(q: string): number | undefined {
  const m = QUANTITY.exec(q.trim());
  if (m === null) return undefined;
  const n = Number(m[1]);
  if (m[3] !== undefined) return n * 10 ** Number(m[3]);
  const suffix = m[2] ?? '';
  return n * (BINARY[suffix] ?? DECIMAL[suffix] ?? 1);
}

export interface ContainerLimits {
  readonly memoryBytes?: number;
  readonly nanoCpus?: number;
}

/**
 * `limits.memory` in bytes and `limits.cpu` in billionths of a CPU (the Docker API's NanoCpus).
 * Other resources are ignored (a container engine has no equivalent). Throws VALIDATION_FAILED
 * for a value that is no quantity, or one too small to run anything.
 */
export function containerLimits(task: string, limits: Readonly<Record<string, string>> | undefined): ContainerLimits {
  if (limits === undefined) return {};
  const out: { memoryBytes?: number; nanoCpus?: number } = {};
  if (limits.memory !== undefined) {
    const bytes = parseQuantity(limits.memory);
    // Docker refuses less than 6 MB.
    if (bytes === undefined || bytes < 6 * 2 ** 20) {
      throw new KontrolerError('VALIDATION_FAILED', `task ${task}: podTemplate.resources.limits.memory ${JSON.stringify(limits.memory)} is not a memory size of at least 6Mi: write e.g. 256Mi or 1Gi`);
    }
    out.memoryBytes = Math.ceil(bytes);
  }
  if (limits.cpu !== undefined) {
    const cpus = parseQuantity(limits.cpu);
    if (cpus === undefined || cpus < 0.01) {
      throw new KontrolerError('VALIDATION_FAILED', `task ${task}: podTemplate.resources.limits.cpu ${JSON.stringify(limits.cpu)} is not a CPU amount of at least 10m: write e.g. 500m or 2`);
    }
    out.nanoCpus = Math.round(cpus * 1e9);
  }
  return out;
}
