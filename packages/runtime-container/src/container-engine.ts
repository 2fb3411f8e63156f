// The part of the Docker Engine API the container runtime uses, as a small port it owns: the
// dockerode adapter (dockerode-engine.ts) implements it against Docker or Podman's compatible
// service. Values are plain data; times are epoch ms.

/** What the engine says about one container. */
export interface ContainerInfo {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
  /** `created`, `running`, `paused`, `restarting`, `exited`, `stopped` (Podman), `dead`... */
  readonly status: string;
  readonly running: boolean;
  readonly exitCode: number;
  readonly oomKilled: boolean;
  /** Why the engine could not run it (e.g. the executable was not found), when it says. */
  readonly error?: string;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly memoryBytes?: number;
  readonly nanoCpus?: number;
}

export interface BindMount {
  readonly source: string;
  readonly target: string;
}

/** Everything a container is created with. */
export interface ContainerRequest {
  readonly name: string;
  readonly image: string;
  /** Undefined: the image's ENTRYPOINT / CMD. */
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  /** `NAME=value` entries. */
  readonly env: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly mounts: readonly BindMount[];
  readonly workingDir?: string;
  readonly memoryBytes?: number;
  readonly nanoCpus?: number;
}

export interface LogFollow {
  /** Demultiplexed stdout and stderr bytes, in the order the engine recorded them. */
  readonly onData: (chunk: Uint8Array) => void;
  /** Aborting ends the request (the returned promise then resolves). */
  readonly signal: AbortSignal;
}

/**
 * The engine operations of the container runtime. Every method throws an EngineError
 * (engine-error.ts) on failure, so callers branch on its `status`.
 */
export interface ContainerEngine {
  /** Undefined when there is no container of that name. */
  inspect(name: string): Promise<ContainerInfo | undefined>;
  /** Creates the container; `exists` when one of that name is there already (nothing is changed). */
  create(req: ContainerRequest): Promise<'created' | 'exists'>;
  start(name: string): Promise<void>;
  /** Sends a signal; a container that is gone or not running is left alone. */
  signal(name: string, signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Removes the container (forced) and its anonymous volumes; a missing one is fine. */
  remove(name: string): Promise<void>;
  /** Names of the containers carrying all these labels (any state). */
  list(labels: Readonly<Record<string, string>>): Promise<string[]>;
  imageExists(image: string): Promise<boolean>;
  /** Pulls the image; throws an EngineError with the registry's message when it cannot. */
  pull(image: string): Promise<void>;
  /** The whole log so far (stdout and stderr, demultiplexed). */
  logs(name: string): Promise<Uint8Array>;
  /** Follows the log from its start until the container ends or `follow.signal` aborts. */
  followLogs(name: string, follow: LogFollow): Promise<void>;
}
