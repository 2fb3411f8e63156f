// Response shapes of the Kontroler API (times are ISO 8601 strings).

export type RunStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'canceled';
export type Role = 'viewer' | 'editor' | 'admin';

export interface FieldError {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export interface ErrorBody {
  code: string;
  message: string;
  details: FieldError[];
}

export interface RoleBinding {
  namespace: string;
  role: Role;
}

export interface LoginResult {
  token: string;
  expiresAt: string;
  csrfToken: string;
  user: User;
}

export interface Me {
  username: string;
  kind: 'user' | 'token';
  roles: RoleBinding[];
  token?: { id: number; name: string };
}

export interface User {
  username: string;
  disabled: boolean;
  mustChangePassword: boolean;
  roles: RoleBinding[];
  createdAt: string;
  passwordChangedAt: string;
}

export interface ApiToken {
  id: number;
  name: string;
  user: string;
  prefix: string;
  role: Role;
  namespaces: string[];
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface Dag {
  namespace: string;
  name: string;
  version: number;
  suspended: boolean;
  schedule: string | null;
  timezone: string;
  concurrencyPolicy: string;
  labels: Record<string, string>;
  source: string;
  nextFireAt: string | null;
  lastFiredAt: string | null;
  createdAt: string;
  updatedAt: string;
  lastRun?: { id: number; status: RunStatus; createdAt: string } | null;
  /** The DAG's parameters (single-DAG reads): a default value or the secret it comes from. */
  parameters?: Array<{ name: string; defaultValue?: string; defaultFromSecret?: string }>;
  spec?: Record<string, unknown>;
  definition?: Record<string, unknown>;
}

export interface DagTaskSummary {
  namespace: string;
  name: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface ApplyResult {
  kind: 'DAG' | 'DagTask';
  namespace: string;
  name: string;
  version: number;
  created: boolean;
  dryRun: boolean;
}

export interface ValidateResult {
  valid: boolean;
  errors?: FieldError[];
  message?: string;
}

export interface Run {
  id: number;
  name: string | null;
  namespace: string;
  dag: string;
  dagVersion: number;
  status: RunStatus;
  trigger: string;
  parameters: Record<string, string>;
  secretParameters: string[];
  cancelRequested: boolean;
  requested: 'cancel' | 'retry' | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  taskCounts?: Record<string, number>;
}

export interface Attempt {
  attempt: number;
  status: string;
  exitCode: number | null;
  reason: string | null;
  handle: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  logSize: number;
}

export interface RunTask {
  name: string;
  status: string;
  reason: string | null;
  retryAt: string | null;
  runAfter: string[];
  image: string;
  attempts: Attempt[];
}

export interface RunDetail extends Run {
  graph: { nodes: string[]; edges: Array<{ from: string; to: string }> };
  tasks: RunTask[];
}

export interface WebhookDelivery {
  id: number;
  event: string;
  url: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export interface Stats {
  from: string;
  to: string;
  runsPerDay: Array<{ day: string; succeeded: number; failed: number; canceled: number; running: number; pending: number }>;
  totals: { runs: number; succeeded: number; failed: number; canceled: number; active: number };
  successRate: number | null;
  durations: Array<{ namespace: string; dag: string; runs: number; p50Seconds: number; p95Seconds: number }>;
  failingTasks: Array<{ namespace: string; dag: string; task: string; failedAttempts: number; runs: number }>;
}

export type LogEvent = { type: 'log'; offset: number; text: string } | { type: 'end'; status: string; exitCode: number | null; reason: string | null };

export interface DagVersion {
  namespace: string;
  name: string;
  version: number;
  hash: string;
  createdAt: string;
  spec: Record<string, unknown>;
  definition: Record<string, unknown>;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  outcome: 'ok' | 'denied' | 'failed';
  namespace: string | null;
  resource: string | null;
  details: Record<string, unknown>;
  address: string | null;
}
