// Test helpers of the container runtime: the real engine the test run started (scripts/fixtures/
// 30-podman.mjs), sandboxes (temp state folders, unique run ids) and their cleanup.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerContainerRuntime, DockerodeEngine, LABELS, type DockerContainerRuntimeOptions } from '@kontroler/runtime-container';

export interface TestEngine {
  readonly dockerHost: string;
  /** The locally built test image (busybox, plus /kontroler-test-image). */
  readonly image: string;
  readonly engine: DockerodeEngine;
}

/**
 * The engine of the test run. Fails (never skips) when there is none: these tests need a real
 * container engine, which `node scripts/test.mjs runtime-container` starts.
 */
export async function testEngine(): Promise<TestEngine> {
  const dockerHost = process.env.KONTROLER_TEST_DOCKER_HOST;
  const image = process.env.KONTROLER_TEST_CONTAINER_IMAGE;
  if (!dockerHost || !image) {
    throw new Error(
      'KONTROLER_TEST_DOCKER_HOST / KONTROLER_TEST_CONTAINER_IMAGE are not set: run the container tests through `node scripts/test.mjs runtime-container`, which starts Podman (scripts/fixtures/30-podman.mjs)',
    );
  }
  const engine = new DockerodeEngine(dockerHost);
  await engine.ping().catch((e: unknown) => {
    throw new Error(`the test container engine at ${dockerHost} does not answer: ${(e as Error).message}`, { cause: e });
  });
  return { dockerHost, image, engine };
}

export interface Sandbox {
  readonly te: TestEngine;
  readonly stateDir: string;
  /** A run id unique to this sandbox: cleanup removes its containers. */
  readonly runId: string;
  runtime(opts?: Partial<DockerContainerRuntimeOptions>): DockerContainerRuntime;
  cleanup(): Promise<void>;
}

let sandboxes = 0;

export async function sandbox(): Promise<Sandbox> {
  const te = await testEngine();
  const dir = await mkdtemp(join(tmpdir(), 'kontroler-crt-'));
  const stateDir = join(dir, 'state');
  const runId = `crt-${process.pid}-${++sandboxes}`;
  const runtimes: DockerContainerRuntime[] = [];
  return {
    te,
    stateDir,
    runId,
    runtime(opts = {}) {
      const rt = new DockerContainerRuntime({ engine: te.engine, stateDir, killGraceMs: 1000, pullPolicy: 'Never', controllerId: 'test', ...opts });
      runtimes.push(rt);
      return rt;
    },
    async cleanup() {
      await Promise.all(runtimes.map((rt) => rt.close()));
      for (const name of await te.engine.list({ [LABELS.managedBy]: 'kontroler' })) {
        const info = await te.engine.inspect(name);
        if (info?.labels[LABELS.runId]?.startsWith(`crt-${process.pid}-`) || info?.labels[LABELS.runId]?.startsWith(`contract-${process.pid}`)) await te.engine.remove(name);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
