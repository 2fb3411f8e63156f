// A typed client of the Kontroler REST API over `fetch`: works in browsers and in Node (pass a
// `fetch` that carries client certificates for mTLS). Every failure is an ApiError with the
// server's stable `code`.
import type {
  ApiToken, ApplyResult, ApprovalDecision, ApprovalDecisionInput, Attempt, AuditEntry, AuthProviders, DagGrid, DagVersion, Dag, DagTaskSummary, ErrorBody, FieldError, LogEvent, LoginResult, Me, Page, Role, RoleBinding,
  Backfill, BackfillCreated, BackfillDetail, BackfillInput, LogChunkTimes, Run, RunChangeEvent, RunDetail, RunStatus, RunTask, Stats, TaskRequest, TaskStatus, User, ValidateResult, WebhookDelivery,
} from './types.js';

export interface ClientOptions {
  /** e.g. `http://127.0.0.1:8080` (no trailing `/api/v1`). */
  baseUrl: string;
  /** A session JWT or an API token. */
  token?: string;
  fetch?: typeof fetch;
  /**
   * Extra headers on every request (e.g. X-CSRF-Token for cookie sessions in the UI); a function
   * is called per request, so a value that changes (a new session's CSRF token) is always current.
   */
  headers?: Record<string, string> | (() => Record<string, string>);
}

/** An error answer of the API, or a transport failure (`code` NETWORK). */
/** Bytes per request when reading a stored log page by page. */
export const LOG_PAGE_BYTES = 1024 * 1024;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldError[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type ResourceFormat = 'yaml' | 'json' | 'dsl';
const CONTENT_TYPES: Record<ResourceFormat, string> = { yaml: 'application/yaml', json: 'application/json', dsl: 'text/x-kontroler-dsl' };

export interface StartRunInput {
  parameters?: Record<string, string>;
  name?: string;
  /** The run's logical time: RFC 3339 with an offset. */
  logicalTime?: string;
}

export interface ListRunsQuery {
  namespace?: string;
  dag?: string;
  status?: RunStatus[];
  since?: string;
  until?: string;
  cursor?: string;
  limit?: number;
  /** Add each run's task status counts. */
  taskCounts?: boolean;
}

/** Which tasks of a run `listRunTasks` / `runTasks` return (definition order). */
export interface RunTasksFilter {
  /** Only these statuses (none: every status). */
  status?: TaskStatus[];
  /** Only tasks whose name starts with this. */
  prefix?: string;
  /** The instances of this mapped task (`NAME[0]`, ... in item order) instead of the run's own tasks. */
  mapOf?: string;
}

export interface RunTasksQuery extends RunTasksFilter {
  /** `nextCursor` of the previous page (with the same filter). */
  cursor?: string;
  /** Tasks per page: default 100, at most 1,000. */
  limit?: number;
}

/** Tasks per page `runTasks` asks for (the API's maximum). */
export const RUN_TASKS_PAGE = 1000;

type Query = Record<string, string | number | boolean | undefined>;

function qs(q: Query): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

const e = encodeURIComponent;

export class KontrolerClient {
  private readonly base: string;
  private readonly fetchFn: typeof fetch;
  token: string | undefined;

  constructor(private readonly opts: ClientOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.fetchFn = opts.fetch ?? ((input, init) => fetch(input, init));
    this.token = opts.token;
  }

  /** A raw request; resolves to the Response for 2xx, throws ApiError otherwise. */
  async request(method: string, path: string, init: { json?: unknown; text?: string; contentType?: string; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> {
    const extra = typeof this.opts.headers === 'function' ? this.opts.headers() : (this.opts.headers ?? {});
    const headers: Record<string, string> = { accept: 'application/json', ...extra, ...(init.headers ?? {}) };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body: string | undefined;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers['content-type'] = 'application/json';
    } else if (init.text !== undefined) {
      body = init.text;
      headers['content-type'] = init.contentType ?? 'application/yaml';
    }
    let res: Response;
    try {
      res = await this.fetchFn(`${this.base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}), ...(init.signal ? { signal: init.signal } : {}) });
    } catch (err) {
      const cause = (err as { cause?: { message?: string; code?: string } }).cause;
      throw new ApiError(0, 'NETWORK', `cannot reach ${this.base}: ${cause?.message ?? cause?.code ?? (err as Error).message}`);
    }
    if (res.ok) return res;
    const text = await res.text();
    let b: Partial<ErrorBody> = {};
    try {
      b = JSON.parse(text) as Partial<ErrorBody>;
    } catch {
      b = {};
    }
    throw new ApiError(res.status, b.code ?? `HTTP_${res.status}`, b.message ?? (text.slice(0, 200) || res.statusText), b.details ?? []);
  }

  private async json<T>(method: string, path: string, init: Parameters<KontrolerClient['request']>[2] = {}): Promise<T> {
    const res = await this.request(method, path, init);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  // auth
  async login(username: string, password: string): Promise<LoginResult> {
    const r = await this.json<LoginResult>('POST', '/api/v1/auth/login', { json: { username, password } });
    this.token = r.token;
    return r;
  }
  logout(): Promise<void> {
    return this.json('POST', '/api/v1/auth/logout');
  }
  /** Extends the current session (cookie or JWT); the answer carries a fresh JWT and CSRF token. */
  refresh(): Promise<{ token: string; expiresAt: string; csrfToken: string }> {
    return this.json('POST', '/api/v1/auth/refresh');
  }
  me(): Promise<Me> {
    return this.json('GET', '/api/v1/auth/me');
  }
  changePassword(currentPassword: string, newPassword: string): Promise<LoginResult> {
    return this.json('POST', '/api/v1/auth/password', { json: { currentPassword, newPassword } });
  }
  /** Which sign-in methods the server offers (public). */
  authProviders(): Promise<AuthProviders> {
    return this.json('GET', '/api/v1/auth/providers');
  }
  /**
   * Where to send a browser for single sign-on. With `cli` (kontroler login --sso), the server
   * sends a one-time code to `cli.redirect` (a loopback URL) instead of setting cookies.
   */
  ssoLoginUrl(opts: { returnTo?: string; cli?: { redirect: string; state: string; challenge: string } } = {}): string {
    const q = new URLSearchParams();
    if (opts.returnTo) q.set('returnTo', opts.returnTo);
    if (opts.cli) {
      q.set('cli_redirect', opts.cli.redirect);
      q.set('cli_state', opts.cli.state);
      q.set('cli_challenge', opts.cli.challenge);
    }
    const s = q.toString();
    return `${this.base}/api/v1/auth/oidc/login${s ? `?${s}` : ''}`;
  }
  /** Redeems a one-time sign-in code with the PKCE verifier; the client then uses the session. */
  async redeemSsoCode(code: string, verifier: string): Promise<LoginResult> {
    const r = await this.json<LoginResult>('POST', '/api/v1/auth/oidc/token', { json: { code, verifier } });
    this.token = r.token;
    return r;
  }

  // tokens
  listTokens(opts: { all?: boolean; includeRevoked?: boolean } = {}): Promise<{ items: ApiToken[] }> {
    return this.json('GET', `/api/v1/tokens${qs(opts)}`);
  }
  createToken(input: { name: string; role?: Role; namespaces?: string[]; expiresInDays?: number }): Promise<ApiToken & { token: string }> {
    return this.json('POST', '/api/v1/tokens', { json: input });
  }
  revokeToken(id: number): Promise<ApiToken> {
    return this.json('DELETE', `/api/v1/tokens/${id}`);
  }

  // users
  listUsers(): Promise<{ items: User[] }> {
    return this.json('GET', '/api/v1/users');
  }
  createUser(input: { username: string; password: string; roles: RoleBinding[] }): Promise<User> {
    return this.json('POST', '/api/v1/users', { json: input });
  }
  updateUser(username: string, input: { password?: string; disabled?: boolean; roles?: RoleBinding[] }): Promise<User> {
    return this.json('PATCH', `/api/v1/users/${e(username)}`, { json: input });
  }
  deleteUser(username: string): Promise<void> {
    return this.json('DELETE', `/api/v1/users/${e(username)}`);
  }

  // DAGs and DagTasks
  /** Creates or updates a resource. Rejects with 409 MANAGED_BY_FILE (naming the file) over a DAG the server's DAG folder manages, unless `overrideFile`. */
  apply(kind: 'DAG' | 'DagTask', namespace: string, text: string, format: ResourceFormat, opts: { name?: string; dryRun?: boolean; overrideFile?: boolean } = {}): Promise<ApplyResult> {
    const plural = kind === 'DAG' ? 'dags' : 'dagtasks';
    const query = qs({ name: opts.name, dryRun: opts.dryRun, overrideFile: opts.overrideFile });
    return this.json('POST', `/api/v1/namespaces/${e(namespace)}/${plural}${query}`, { text, contentType: CONTENT_TYPES[format] });
  }
  validate(kind: 'DAG' | 'DagTask', namespace: string, text: string, format: ResourceFormat, name?: string): Promise<ValidateResult> {
    const plural = kind === 'DAG' ? 'dags' : 'dagtasks';
    return this.json('POST', `/api/v1/namespaces/${e(namespace)}/${plural}/validate${qs({ name })}`, { text, contentType: CONTENT_TYPES[format] });
  }
  listDags(q: { namespace?: string; name?: string; label?: string; scheduled?: boolean; suspended?: boolean; cursor?: string; limit?: number } = {}): Promise<Page<Dag>> {
    const { namespace, ...rest } = q;
    return this.json('GET', namespace ? `/api/v1/namespaces/${e(namespace)}/dags${qs(rest)}` : `/api/v1/dags${qs(rest)}`);
  }
  /** The DAG's last `runs` runs (1–100, default 25) × its tasks (at most 500 rows), each cell a task status. */
  dagGrid(namespace: string, name: string, runs?: number): Promise<DagGrid> {
    return this.json('GET', `/api/v1/namespaces/${e(namespace)}/dags/${e(name)}/grid${qs({ runs })}`);
  }
  getDag(namespace: string, name: string): Promise<Dag> {
    return this.json('GET', `/api/v1/namespaces/${e(namespace)}/dags/${e(name)}`);
  }
  deleteDag(namespace: string, name: string, purge = false): Promise<void> {
    return this.json('DELETE', `/api/v1/namespaces/${e(namespace)}/dags/${e(name)}${qs({ purge: purge || undefined })}`);
  }
  suspendDag(namespace: string, name: string, suspend: boolean): Promise<Dag> {
    return this.json('POST', `/api/v1/namespaces/${e(namespace)}/dags/${e(name)}/${suspend ? 'suspend' : 'resume'}`);
  }
  dagVersions(namespace: string, name: string): Promise<{ items: Array<{ version: number; hash: string; createdAt: string; current?: boolean }> }> {
    return this.json('GET', `/api/v1/namespaces/${e(namespace)}/dags/${e(name)}/versions`);
  }
  /** One stored version of a DAG: its spec and resolved definition. */
  getDagVersion(namespace: string, name: string, version: number): Promise<DagVersion> {
    return this.json('GET', `/api/v1/namespaces/${e(namespace)}/dags/${e(name)}/versions/${version}`);
  }
  listDagTasks(namespace: string, q: { name?: string; cursor?: string; limit?: number } = {}): Promise<Page<DagTaskSummary>> {
    return this.json('GET', `/api/v1/namespaces/${e(namespace)}/dagtasks${qs(q)}`);
  }
  listNamespaces(): Promise<{ items: Array<{ name: string; role: Role }> }> {
    return this.json('GET', '/api/v1/namespaces');
  }

  // audit
  /** The audit log, newest first (admin on every namespace). */
  listAudit(q: { namespace?: string; actor?: string; action?: string; cursor?: string; limit?: number } = {}): Promise<Page<AuditEntry>> {
    return this.json('GET', `/api/v1/audit${qs(q)}`);
  }

  // runs
  /** `logicalTime`: RFC 3339 with an offset, the run's logical time (KONTROLER_LOGICAL_TIME of its tasks). */
  async startRun(namespace: string, dag: string, input: StartRunInput = {}): Promise<Run> {
    return (await this.startRunResult(namespace, dag, input)).run;
  }
  /** Like `startRun`, and says whether this call created the run (false: a run of that `name` existed). */
  async startRunResult(namespace: string, dag: string, input: StartRunInput = {}): Promise<{ run: Run; created: boolean }> {
    const res = await this.request('POST', `/api/v1/namespaces/${e(namespace)}/dags/${e(dag)}/runs`, { json: input });
    return { run: (await res.json()) as Run, created: res.status === 201 };
  }

  // backfills
  /** Creates a backfill (or, with `dryRun`, only answers its fire times). */
  createBackfill(namespace: string, dag: string, input: BackfillInput): Promise<BackfillCreated> {
    return this.json('POST', `/api/v1/namespaces/${e(namespace)}/dags/${e(dag)}/backfills`, { json: input });
  }
  /** Backfills newest first: of one DAG, or of every namespace the caller can see. */
  listBackfills(q: { namespace?: string; dag?: string; cursor?: string; limit?: number } = {}): Promise<Page<Backfill>> {
    if (q.namespace !== undefined && q.dag !== undefined) {
      return this.json('GET', `/api/v1/namespaces/${e(q.namespace)}/dags/${e(q.dag)}/backfills${qs({ cursor: q.cursor, limit: q.limit })}`);
    }
    return this.json('GET', `/api/v1/backfills${qs(q)}`);
  }
  getBackfill(id: number): Promise<BackfillDetail> {
    return this.json('GET', `/api/v1/backfills/${id}`);
  }
  cancelBackfill(id: number): Promise<Backfill> {
    return this.json('POST', `/api/v1/backfills/${id}/cancel`, { json: {} });
  }

  listRuns(q: ListRunsQuery = {}): Promise<Page<Run>> {
    return this.json('GET', `/api/v1/runs${qs({ ...q, status: q.status?.join(',') })}`);
  }
  /**
   * A run with its task counts per status, its first page of tasks (`tasksNextCursor` continues
   * with `listRunTasks`), and its graph, or `graphSummary` (tasks grouped by name prefix) for a DAG
   * of more than 2,000 tasks.
   */
  getRun(id: number): Promise<RunDetail> {
    return this.json('GET', `/api/v1/runs/${id}`);
  }
  /** One page of a run's tasks in definition order, filtered by status and name prefix. */
  listRunTasks(id: number, q: RunTasksQuery = {}): Promise<Page<RunTask>> {
    return this.json('GET', `/api/v1/runs/${id}/tasks${qs({ ...q, status: q.status?.join(',') })}`);
  }
  /**
   * One task of a run by name, or an instance of a mapped task (`NAME[3]`), with its attempts and
   * outputs. Throws ApiError 404 NOT_FOUND when the run has no such task.
   */
  getRunTask(id: number, task: string): Promise<RunTask> {
    return this.json('GET', `/api/v1/runs/${id}/tasks/${e(task)}`);
  }
  /**
   * Every page of a run's tasks matching `filter`, as the pages arrive (one page in memory at a
   * time): iterate `for await (const page of client.runTasks(id))`. A page is never empty except
   * when no task matches. Stops early when `signal` aborts.
   */
  async *runTasks(id: number, filter: RunTasksFilter = {}, opts: { limit?: number; signal?: AbortSignal } = {}): AsyncGenerator<RunTask[]> {
    let cursor: string | undefined;
    do {
      if (opts.signal?.aborted) return;
      const page = await this.listRunTasks(id, { ...filter, limit: opts.limit ?? RUN_TASKS_PAGE, ...(cursor ? { cursor } : {}) });
      if (page.items.length > 0 || cursor === undefined) yield page.items;
      cursor = page.nextCursor;
    } while (cursor);
  }
  cancelRun(id: number): Promise<Run> {
    return this.json('POST', `/api/v1/runs/${id}/cancel`);
  }
  retryRun(id: number): Promise<Run> {
    return this.json('POST', `/api/v1/runs/${id}/retry`);
  }
  rerun(id: number, parameters?: Record<string, string>): Promise<Run> {
    return this.json('POST', `/api/v1/runs/${id}/rerun`, { json: parameters ? { parameters } : {} });
  }
  /**
   * Approves a task that waits for a decision (editor in the run's namespace); `inputs` must give
   * every input the approval declares. Resolves once the decision is recorded (202: the run's
   * controller carries it out). Throws ApiError 400 (`details[].path` = `body.inputs.NAME`) for a
   * missing or undeclared input, 409 INVALID_STATE when the task does not wait (already decided,
   * the run ended). Not idempotent: a second decision is refused with the first.
   */
  approveTask(id: number, task: string, input: ApprovalDecisionInput = {}): Promise<ApprovalDecision> {
    return this.json('POST', `/api/v1/runs/${id}/tasks/${e(task)}/approve`, { json: input });
  }
  /** Rejects a task that waits for a decision (the task fails, not retried); refusals as `approveTask`. */
  rejectTask(id: number, task: string, input: ApprovalDecisionInput = {}): Promise<ApprovalDecision> {
    return this.json('POST', `/api/v1/runs/${id}/tasks/${e(task)}/reject`, { json: input });
  }
  /**
   * Runs a finished task of a run again (`downstream`: with every finished task after it); a
   * finished run runs again. Needs the editor role in the run's namespace. Resolves once recorded
   * (202: the run's controller carries it out). Throws ApiError 409 INVALID_STATE naming the
   * task's state when it has not finished (pending, waiting, running) or a cancel is under way,
   * 404 for a missing run or task.
   */
  retryTask(id: number, task: string, opts: { downstream?: boolean } = {}): Promise<TaskRequest> {
    return this.json('POST', `/api/v1/runs/${id}/tasks/${e(task)}/retry`, { json: opts });
  }
  /**
   * Marks a task succeeded or failed (tasks after it see that outcome; a finished run's outcome is
   * evaluated again); refusals as `retryTask` (409 for a running task, a mapped task, or one
   * already in that state).
   */
  markTask(id: number, task: string, status: 'succeeded' | 'failed'): Promise<TaskRequest> {
    return this.json('POST', `/api/v1/runs/${id}/tasks/${e(task)}/mark`, { json: { status } });
  }
  attempts(id: number, task: string): Promise<{ items: Attempt[] }> {
    return this.json('GET', `/api/v1/runs/${id}/tasks/${e(task)}/attempts`);
  }
  webhooks(id: number): Promise<{ items: WebhookDelivery[] }> {
    return this.json('GET', `/api/v1/runs/${id}/webhooks`);
  }
  stats(q: { namespace?: string; dag?: string; window?: string; from?: string; to?: string } = {}): Promise<Stats> {
    return this.json('GET', `/api/v1/stats${qs(q)}`);
  }

  /**
   * When each stored chunk of an attempt's log was stored, in byte order from the chunk holding
   * byte `from` (at most `limit`, 1–10,000; `next` continues): for per-line times. 404 for a
   * missing attempt.
   */
  logChunks(id: number, task: string, attempt: number, q: { from?: number; limit?: number } = {}): Promise<LogChunkTimes> {
    return this.json('GET', `/api/v1/runs/${id}/tasks/${e(task)}/attempts/${attempt}/log-chunks${qs(q)}`);
  }
  /** The stored log of an attempt (optionally a byte range, end inclusive). */
  async logs(id: number, task: string, attempt: number, range?: { start: number; end?: number }): Promise<string> {
    const headers: Record<string, string> = range ? { range: `bytes=${range.start}-${range.end ?? ''}` } : {};
    const res = await this.request('GET', `/api/v1/runs/${id}/tasks/${e(task)}/attempts/${attempt}/logs`, { headers });
    return res.text();
  }

  /**
   * One page of an attempt's stored log: up to `length` bytes from byte `start` (an HTTP Range
   * request), the log's stored size, and whether the attempt has ended (nothing more will come).
   * An empty page means `start` is at or past the end.
   */
  async logPage(id: number, task: string, attempt: number, start: number, length: number): Promise<{ data: Uint8Array; size: number; complete: boolean }> {
    try {
      const res = await this.request('GET', `/api/v1/runs/${id}/tasks/${e(task)}/attempts/${attempt}/logs`, { headers: { range: `bytes=${start}-${start + Math.max(1, length) - 1}` } });
      const data = new Uint8Array(await res.arrayBuffer());
      const total = /\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1];
      return { data, size: total !== undefined ? Number(total) : start + data.length, complete: res.headers.get('x-log-complete') === 'true' };
    } catch (err) {
      if (err instanceof ApiError && err.status === 416) return { data: new Uint8Array(0), size: start, complete: false };
      throw err;
    }
  }

  /**
   * An attempt's stored log as text, page by page (`pageBytes` per request), so a large log is
   * never held whole; a UTF-8 character split between pages is decoded whole.
   */
  async *logText(id: number, task: string, attempt: number, opts: { pageBytes?: number; signal?: AbortSignal } = {}): AsyncGenerator<string> {
    const page = opts.pageBytes ?? LOG_PAGE_BYTES;
    const dec = new TextDecoder();
    for (let start = 0; !opts.signal?.aborted; ) {
      const p = await this.logPage(id, task, attempt, start, page);
      if (p.data.length === 0) break;
      start += p.data.length;
      const last = start >= p.size;
      const text = dec.decode(p.data, { stream: !last });
      if (text) yield text;
      if (last) break;
    }
  }

  /**
   * Follows an attempt's log (Server-Sent Events): stored output, then live output, then one
   * `end` event. Reconnects after a dropped connection from the last offset it saw.
   */
  async *followLogs(id: number, task: string, attempt: number, opts: { signal?: AbortSignal; offset?: number } = {}): AsyncGenerator<LogEvent> {
    let offset = opts.offset ?? 0;
    for (let tries = 0; ; tries++) {
      try {
        for await (const ev of this.sse(`/api/v1/runs/${id}/tasks/${e(task)}/attempts/${attempt}/logs${qs({ follow: true, offset })}`, undefined, opts.signal)) {
          if (ev.event === 'log') {
            const d = JSON.parse(ev.data) as { offset: number; text: string };
            offset = Number(ev.id ?? offset);
            yield { type: 'log', offset: d.offset, text: d.text };
          } else if (ev.event === 'end') {
            const d = JSON.parse(ev.data) as { status: string; exitCode: number | null; reason: string | null };
            yield { type: 'end', status: d.status, exitCode: d.exitCode, reason: d.reason };
            return;
          }
        }
      } catch (err) {
        if (opts.signal?.aborted || tries >= 5 || (err instanceof ApiError && err.status !== 0)) throw err;
      }
      if (opts.signal?.aborted) return;
      if (tries >= 20) throw new ApiError(0, 'NETWORK', 'the log stream keeps dropping: giving up');
      await new Promise((r) => setTimeout(r, Math.min(500 * (tries + 1), 5000)));
    }
  }

  /**
   * A run's changes as they happen (Server-Sent Events): the run as it is now, then each change.
   * Reconnects after a dropped connection with the last version seen (nothing is missed: the
   * first event after a reconnect is the run as it is then, if it changed). Ends on abort, or
   * when the run is purged.
   */
  async *watchRun(id: number, opts: { signal?: AbortSignal } = {}): AsyncGenerator<RunChangeEvent> {
    let version: string | undefined;
    for (let tries = 0; ; tries++) {
      try {
        for await (const ev of this.sse(`/api/v1/runs/${id}/events`, version, opts.signal)) {
          if (ev.event === 'gone') return;
          if (ev.event !== 'run') continue;
          tries = 0;
          const change = JSON.parse(ev.data) as RunChangeEvent;
          version = change.version;
          yield change;
        }
      } catch (err) {
        if (opts.signal?.aborted || (err instanceof ApiError && err.status !== 0)) throw err;
      }
      if (opts.signal?.aborted) return;
      if (tries >= 20) throw new ApiError(0, 'NETWORK', `the change stream of run ${id} keeps dropping: giving up`);
      await new Promise((r) => setTimeout(r, Math.min(500 * (tries + 1), 5000)));
    }
  }

  /**
   * Changes of every run the caller may see (optionally of one namespace or DAG), as Server-Sent
   * Events: `run` events, and `resync` when changes were not kept (after a reconnect, or when the
   * reader was too slow): reload what is shown. Reconnects until aborted.
   */
  async *watchRuns(opts: { namespace?: string; dag?: string; signal?: AbortSignal } = {}): AsyncGenerator<{ type: 'run'; run: RunChangeEvent } | { type: 'resync' }> {
    let last: string | undefined;
    for (let tries = 0; ; tries++) {
      try {
        for await (const ev of this.sse(`/api/v1/events${qs({ namespace: opts.namespace, dag: opts.dag })}`, last, opts.signal)) {
          tries = 0;
          if (ev.event === 'resync') yield { type: 'resync' };
          else if (ev.event === 'run') {
            last = ev.id ?? last;
            yield { type: 'run', run: JSON.parse(ev.data) as RunChangeEvent };
          }
        }
      } catch (err) {
        if (opts.signal?.aborted || (err instanceof ApiError && err.status !== 0)) throw err;
      }
      if (opts.signal?.aborted) return;
      if (tries >= 20) throw new ApiError(0, 'NETWORK', 'the change stream keeps dropping: giving up');
      await new Promise((r) => setTimeout(r, Math.min(500 * (tries + 1), 5000)));
    }
  }

  /** The messages of one Server-Sent Events response (one connection: no reconnect). */
  private async *sse(path: string, lastEventId: string | undefined, signal: AbortSignal | undefined): AsyncGenerator<{ event: string; data: string; id?: string }> {
    const res = await this.request('GET', path, {
      headers: { accept: 'text/event-stream', ...(lastEventId !== undefined ? { 'last-event-id': lastEventId } : {}) },
      ...(signal ? { signal } : {}),
    });
    if (!res.body) return;
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += dec.decode(value, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = parseSse(block);
          if (ev) yield ev;
        }
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }
}

/** One Server-Sent Events message (the `event`, its `data` lines joined, its `id`). */
export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/** The message of one SSE block (the lines between two blank lines); undefined when it has no data (a comment, `retry:`). */
export function parseSse(block: string): SseMessage | undefined {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':') || line === '') continue;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  if (data.length === 0) return undefined;
  return { event, data: data.join('\n'), ...(id !== undefined ? { id } : {}) };
}
