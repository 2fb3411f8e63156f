// A shard's namespaces: those labelled kontroler.greedykomodo/shard=<shard>, kept current by a
// namespace informer (Kargo's agent model: one database, namespaces split between controllers).
import { Informer, type KubeClient, type KubeObject, LABELS } from '@kontroler/runtime-kube';

export class ShardNamespaces {
  private readonly informer: Informer<KubeObject>;
  private readonly names = new Set<string>();

  constructor(client: KubeClient, readonly shard: string, log: (msg: string) => void = () => undefined) {
    this.informer = new Informer<KubeObject>({
      client,
      path: () => '/api/v1/namespaces',
      labelSelector: `${LABELS.shard}=${shard}`,
      onEvent: (ev) => {
        if (ev.type === 'synced') return;
        const name = ev.object.metadata?.name ?? '';
        if (ev.type === 'deleted') this.names.delete(name);
        else this.names.add(name);
      },
      onError: (err) => log(`shard ${shard}: ${err instanceof Error ? err.message : String(err)}`),
    });
  }

  async start(): Promise<void> {
    this.informer.start();
    await this.informer.synced();
  }

  has(namespace: string): boolean {
    return this.names.has(namespace);
  }

  list(): string[] {
    return [...this.names].sort();
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }
}
