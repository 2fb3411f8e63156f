import { readFile } from 'node:fs/promises';

/** What test/kube-harness writes to `<state>/env.json` once its apiserver is ready. */
export interface HarnessEnv {
  kubeVersion: string;
  server: string;
  kubeconfig: string;
  stateDir: string;
  nodeName: string;
  caCert: string;
  kubeletCert: string;
  kubeletKey: string;
  controllers: string;
  etcd: string;
  logDir: string;
}

export async function readHarnessEnv(path: string): Promise<HarnessEnv> {
  let parsed: Partial<HarnessEnv>;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<HarnessEnv>;
  } catch (cause) {
    throw new Error(`cannot read the kube-harness environment file ${path}: ${String(cause)}`, { cause });
  }
  for (const k of ['server', 'kubeconfig', 'nodeName', 'caCert', 'kubeletCert', 'kubeletKey'] as const) {
    if (typeof parsed[k] !== 'string' || parsed[k] === '') throw new Error(`${path}: field ${k} is missing (is the harness binary older than this agent?)`);
  }
  return parsed as HarnessEnv;
}
