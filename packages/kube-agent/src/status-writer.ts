import { PatchStrategy, setHeaderOptions, type CoreV1Api } from '@kubernetes/client-node';
import { httpStatusOf, kubeErrorMessage } from './kube-errors.js';

export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

const RETRIES = 8;

/**
 * Writes a pod's status as kubelet's status manager does: one strategic-merge patch of
 * `pods/status` per write, with the pod's UID as a precondition (a new pod of the same name is
 * never touched). Coalesces: while a write is in flight, only the newest requested status is kept.
 * Transient failures (transport, 429, 5xx) are retried with back-off; a vanished pod (404) or a UID
 * mismatch (409/422) ends writing.
 */
export class StatusWriter {
  private next: Record<string, unknown> | undefined;
  private draining: Promise<void> | undefined;
  private gone = false;

  constructor(
    private readonly core: CoreV1Api,
    private readonly pod: PodRef,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Queues `status` to be written; returns once it (or a newer one) was written or dropped. */
  write(status: Record<string, unknown>): Promise<void> {
    this.next = status;
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  private async drain(): Promise<void> {
    while (this.next && !this.gone) {
      const status = this.next;
      this.next = undefined;
      await this.send(status);
    }
  }

  private async send(status: Record<string, unknown>): Promise<void> {
    const { namespace, name, uid } = this.pod;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.core.patchNamespacedPodStatus(
          { name, namespace, body: { metadata: { uid }, status } },
          setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
        );
        return;
      } catch (err) {
        const code = httpStatusOf(err);
        if (code === 404 || code === 409) {
          this.gone = true;
          return;
        }
        const transient = code === undefined || code === 429 || code >= 500;
        if (!transient || attempt >= RETRIES) {
          this.onError(new Error(`write status of pod ${namespace}/${name}: ${kubeErrorMessage(err)}`, { cause: err }));
          if (code === 422 && /uid/i.test(kubeErrorMessage(err))) this.gone = true;
          return;
        }
        await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)));
      }
    }
  }
}
