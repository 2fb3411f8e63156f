// Numbered, forward-only schema migrations. Never edit a released migration: add a new one.

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'dags-runs-attempts',
    sql: `
create table dags (
  id                 bigserial primary key,
  namespace          text not null,
  name               text not null,
  current_version    int not null,
  suspended          boolean not null default false,
  schedule           text,
  timezone           text not null default 'UTC',
  concurrency_policy text not null default 'Allow',
  catch_up           int not null default 1,
  next_fire_at       timestamptz,
  last_fired_at      timestamptz,
  source             text not null default 'api',
  labels             jsonb not null default '{}',
  deleted_at         timestamptz,
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now(),
  unique (namespace, name)
);
create index dags_due on dags (next_fire_at) where schedule is not null and not suspended and deleted_at is null;

create table dag_versions (
  dag_id     bigint not null references dags(id) on delete cascade,
  version    int not null,
  hash       text not null,
  spec       jsonb not null,
  definition jsonb not null,
  created_at timestamptz not null default now(),
  primary key (dag_id, version)
);

create table dag_tasks (
  id              bigserial primary key,
  namespace       text not null,
  name            text not null,
  current_version int not null,
  source          text not null default 'api',
  deleted_at      timestamptz,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  unique (namespace, name)
);

create table dag_task_versions (
  dag_task_id bigint not null references dag_tasks(id) on delete cascade,
  version     int not null,
  hash        text not null,
  spec        jsonb not null,
  created_at  timestamptz not null default now(),
  primary key (dag_task_id, version)
);

create table runs (
  id               bigserial primary key,
  dag_id           bigint not null references dags(id) on delete cascade,
  dag_version      int not null,
  namespace        text not null,
  dag_name         text not null,
  name             text,
  status           text not null default 'pending',
  trigger          text not null default 'manual',
  scheduled_for    timestamptz,
  parameters       jsonb not null default '{}',
  secret_refs      jsonb not null default '{}',
  cancel_requested boolean not null default false,
  requested        text,
  owner            text,
  lease_expires_at timestamptz,
  created_at       timestamptz not null default now(),
  started_at       timestamptz,
  finished_at      timestamptz,
  updated_at       timestamptz not null default now(),
  foreign key (dag_id, dag_version) references dag_versions(dag_id, version)
);
create unique index runs_name on runs (namespace, name) where name is not null;
create index runs_claimable on runs (id) where status in ('pending', 'running') or requested is not null;
create index runs_by_dag on runs (dag_id, id desc);
create index runs_by_status on runs (status, id desc);
create index runs_by_created on runs (created_at);

create table task_states (
  run_id   bigint not null references runs(id) on delete cascade,
  task     text not null,
  status   text not null,
  reason   text,
  retry_at timestamptz,
  primary key (run_id, task)
);

create table attempts (
  run_id      bigint not null references runs(id) on delete cascade,
  task        text not null,
  attempt     int not null,
  status      text not null,
  exit_code   int,
  reason      text,
  kill_reason text,
  handle      text,
  created_at  timestamptz not null,
  started_at  timestamptz,
  finished_at timestamptz,
  deadline_at timestamptz,
  log_size    bigint not null default 0,
  primary key (run_id, task, attempt)
);
create index attempts_active on attempts (run_id) where status in ('starting', 'running');

create table attempt_logs (
  run_id  bigint not null,
  task    text not null,
  attempt int not null,
  "offset" bigint not null,
  data    bytea not null,
  primary key (run_id, task, attempt, "offset"),
  foreign key (run_id, task, attempt) references attempts(run_id, task, attempt) on delete cascade
);

create table webhook_deliveries (
  id              bigserial primary key,
  run_id          bigint not null references runs(id) on delete cascade,
  idempotency_key text not null unique,
  url             text not null,
  verify_ssl      boolean not null default true,
  event           text not null,
  payload         jsonb not null,
  status          text not null default 'pending',
  attempts        int not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_status     int,
  last_error      text,
  created_at      timestamptz not null default now(),
  delivered_at    timestamptz
);
create index webhook_due on webhook_deliveries (next_attempt_at) where status = 'pending';
create index webhook_by_run on webhook_deliveries (run_id, id);
`,
  },
  {
    version: 2,
    name: 'users-tokens-audit-triggers',
    sql: `
create table users (
  id                  bigserial primary key,
  username            text not null unique,
  password_hash       text not null,
  disabled            boolean not null default false,
  must_change_password boolean not null default false,
  created_at          timestamptz not null default now(),
  updated_at          timestamptz not null default now(),
  password_changed_at timestamptz not null default now()
);

-- A role per namespace; namespace '*' grants it in every namespace.
create table role_bindings (
  user_id   bigint not null references users(id) on delete cascade,
  namespace text not null,
  role      text not null check (role in ('viewer', 'editor', 'admin')),
  primary key (user_id, namespace)
);

-- One row per login: a JWT names its session, and a revoked session rejects the JWT at once.
create table sessions (
  id          text primary key,
  user_id     bigint not null references users(id) on delete cascade,
  created_at  timestamptz not null default now(),
  expires_at  timestamptz not null,
  revoked_at  timestamptz,
  address     text,
  user_agent  text
);
create index sessions_by_user on sessions (user_id) where revoked_at is null;
create index sessions_expiry on sessions (expires_at);

-- API tokens: only a SHA-256 of the (high-entropy) secret is kept.
create table api_tokens (
  id           bigserial primary key,
  user_id      bigint not null references users(id) on delete cascade,
  name         text not null,
  token_hash   text not null unique,
  prefix       text not null,
  role         text not null check (role in ('viewer', 'editor', 'admin')),
  namespaces   text[] not null,
  expires_at   timestamptz,
  revoked_at   timestamptz,
  last_used_at timestamptz,
  created_at   timestamptz not null default now()
);
create unique index api_tokens_name on api_tokens (user_id, name) where revoked_at is null;

create table audit_log (
  id        bigserial primary key,
  at        timestamptz not null default now(),
  actor     text not null,
  action    text not null,
  namespace text,
  resource  text,
  outcome   text not null default 'ok',
  details   jsonb not null default '{}',
  address   text
);
create index audit_by_namespace on audit_log (namespace, id desc);
create index audit_by_actor on audit_log (actor, id desc);

-- Inbound webhook triggers: a DAG's HMAC secret and how payload fields map to parameters.
create table dag_triggers (
  dag_id        bigint primary key references dags(id) on delete cascade,
  secret        text not null,
  parameter_map jsonb not null default '{}',
  enabled       boolean not null default true,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now()
);

-- Server-wide settings that must survive restarts and be shared by replicas (e.g. the JWT key).
create table server_settings (
  key        text primary key,
  value      text not null,
  created_at timestamptz not null default now()
);

-- Listing, stats and benchmarks at 100k runs / 1M attempts.
create index runs_by_ns_id on runs (namespace, id desc);
create index runs_by_ns_dag_id on runs (namespace, dag_name, id desc);
create index runs_by_dag_name on runs (dag_name, id desc);
create index runs_finished on runs (finished_at) where finished_at is not null;
create index attempts_failed on attempts (finished_at) where status in ('failed', 'lost');
`,
  },
  {
    version: 3,
    name: 'external-identities',
    sql: `
-- Users from single sign-on (OpenID Connect): identified by issuer + subject, no password; their
-- role bindings are rewritten from the identity provider's claims at every sign-in.
alter table users alter column password_hash drop not null;
alter table users add column source text not null default 'local' check (source in ('local', 'oidc'));
alter table users add column external_issuer text;
alter table users add column external_subject text;
alter table users add constraint users_external_identity check ((source = 'local') = (external_subject is null));
create unique index users_by_external_identity on users (external_issuer, external_subject) where external_subject is not null;

-- kontroler login --sso: the server finishes the browser sign-in, then hands the new session to
-- the CLI's loopback listener as a one-time code, redeemable once, with the CLI's PKCE verifier.
create table login_handoffs (
  code_hash   text primary key,
  session_id  text not null references sessions(id) on delete cascade,
  challenge   text not null,
  expires_at  timestamptz not null,
  created_at  timestamptz not null default now()
);
`,
  },
  {
    version: 4,
    name: 'kube-objects',
    sql: `
-- Kubernetes mode: the DagRun object that mirrors a run (null: none yet; '' : none will be made).
alter table runs add column kube_object text;
create index runs_without_kube_object on runs (id) where kube_object is null;
`,
  },
  {
    version: 5,
    name: 'trigger-deliveries',
    sql: `
-- Inbound trigger deliveries seen, by their signed delivery id, so a replayed delivery starts
-- nothing (across restarts and server replicas). Kept until expires_at (twice the timestamp
-- window: after that a replay is refused by its old timestamp anyway).
create table trigger_deliveries (
  dag_id       bigint not null references dags(id) on delete cascade,
  delivery_id  text not null,
  run_id       bigint references runs(id) on delete set null,
  received_at  timestamptz not null default now(),
  expires_at   timestamptz not null,
  primary key (dag_id, delivery_id)
);
create index trigger_deliveries_expiry on trigger_deliveries (expires_at);
`,
  },
  {
    version: 6,
    name: 'bounded-logs',
    sql: `
-- Logs are shaped before they are stored (long lines split, capped with the tail kept, markers
-- for what was cut), so the stored size (log_size) and the raw output accounted for differ:
-- log_received is where a controller taking over resumes the runtime's output; log_line is the
-- length of the stored log's unterminated last line (for the line cap).
alter table attempts add column log_received bigint not null default 0;
alter table attempts add column log_line int not null default 0;
update attempts set log_received = log_size where log_size > 0;
`,
  },
  {
    version: 7,
    name: 'run-host',
    sql: `
-- The machine whose local runtime runs the run's attempts, recorded by the claiming controller
-- (null: a runtime whose attempts are reachable from anywhere, e.g. pods). While attempts are
-- active, only a controller on that host may take the run over (claims.ts).
alter table runs add column host text;
`,
  },
  {
    version: 8,
    name: 'definition-format',
    sql: `
-- The format of each stored definition snapshot (definition-format.ts), so a later change of the
-- definition's shape can still read the runs of older versions. Every snapshot so far is format 1.
alter table dag_versions add column definition_format int not null default 1;
`,
  },
  {
    version: 9,
    name: 'run-task-positions',
    sql: `
-- Every run has a task_states row for every task from its creation (startRun writes them), with
-- the task's index in the run's definition, so the API pages a run's tasks in definition order
-- (run-tasks.ts) and counts them without reading the definition. Rows of older runs' tasks that
-- never changed did not exist: they are inserted as pending. runs.task_counts (status → number
-- of tasks) is kept current by saveRunState.
alter table task_states add column position int;
insert into task_states (run_id, task, status, position)
  select r.id, t.spec->>'name', 'pending', (t.ord - 1)::int
  from runs r
  join dag_versions v on v.dag_id = r.dag_id and v.version = r.dag_version
  cross join lateral jsonb_array_elements(v.definition->'tasks') with ordinality as t(spec, ord)
  on conflict (run_id, task) do update set position = excluded.position;
-- A row of a task its definition does not have cannot be shown or run: nothing wrote one, but
-- a position is required from now on.
delete from task_states where position is null;
alter table task_states alter column position set not null;
create unique index task_states_by_position on task_states (run_id, position);
create index task_states_by_status on task_states (run_id, status, position);
alter table runs add column task_counts jsonb not null default '{}';
update runs r set task_counts = c.counts
  from (select run_id, jsonb_object_agg(status, n) as counts
        from (select run_id, status, count(*)::int as n from task_states group by run_id, status) s
        group by run_id) c
  where c.run_id = r.id;
-- The grouped graph of a DAG of more than 2,000 tasks (GRAPH_MAX_NODES in run-index.ts when this
-- was written): each task's group (its name without a trailing run of digits and -_. ; groups
-- numbered by first appearance in the definition), and the run's count of tasks per group and
-- status, kept by saveRunState like task_counts. Null / no rows for smaller DAGs.
alter table task_states add column grp int;
create table run_group_counts (
  run_id bigint not null references runs(id) on delete cascade,
  grp    int not null,
  status text not null,
  n      int not null,
  primary key (run_id, grp, status)
);
with large as (select run_id from task_states group by run_id having count(*) > 2000),
g as (select t.run_id, t.task, t.position, coalesce(nullif(regexp_replace(t.task, '[-_.0-9]+$', ''), ''), t.task) as gid
      from task_states t join large using (run_id)),
firsts as (select run_id, gid, min(position) as first from g group by run_id, gid),
num as (select run_id, gid, (row_number() over (partition by run_id order by first) - 1)::int as grp from firsts)
update task_states t set grp = num.grp from g join num using (run_id, gid) where t.run_id = g.run_id and t.task = g.task;
insert into run_group_counts (run_id, grp, status, n)
  select run_id, grp, status, count(*)::int from task_states where grp is not null group by run_id, grp, status;
`,
  },
  {
    version: 10,
    name: 'data-flow',
    sql: `
-- Data flow (issue 14). An attempt's kind (null: a runtime attempt; 'approval'; 'child'), the
-- values of its declared outputs once it succeeded, and what its references resolved to.
alter table attempts add column kind text, add column outputs jsonb, add column resolved jsonb;
-- Instances of a mapped task: a task_states row named NAME[i] with map_of = NAME, item_index = i
-- and its item (as JSON text: an item may be any JSON value); positions after the definition's tasks.
-- The mapped task's row has instances (its count of instances, once known).
alter table task_states add column map_of text, add column item_index int, add column item text, add column instances int;
-- Child runs of dagRef tasks: the parent attempt that started each (one child per attempt), how
-- deep in a chain of child runs it is, and a run's resolved DAG outputs.
alter table runs add column parent_run_id bigint references runs(id) on delete set null,
  add column parent_task text, add column parent_attempt int,
  add column depth int not null default 0, add column outputs jsonb;
create unique index runs_child on runs (parent_run_id, parent_task, parent_attempt) where parent_run_id is not null;
-- Decisions on approval attempts: at most one per attempt (a second is refused). applied: the
-- controller has fed it to the run's engine.
create table approval_decisions (
  run_id     bigint not null references runs(id) on delete cascade,
  task       text not null,
  attempt    int not null,
  approve    boolean not null,
  decided_by text not null,
  comment    text,
  inputs     jsonb not null default '{}',
  decided_at timestamptz not null default now(),
  applied    boolean not null default false,
  primary key (run_id, task, attempt)
);
create index approval_decisions_pending on approval_decisions (run_id) where not applied;
`,
  },
  {
    version: 11,
    name: 'map-instances',
    sql: `
-- A mapped task's instances, in index order: the API pages them (GET /runs/{id}/tasks?mapOf=) and
-- counts them per status without reading the rest of the run's tasks.
create index task_states_instances on task_states (run_id, map_of, position) where map_of is not null;
`,
  },
  {
    version: 12,
    name: 'kube-object-uid',
    sql: `
-- The uid of the DagRun object that started (or mirrors) a run: a DagRun deleted and created again
-- under the same name is another object, told apart from the one whose run has that name.
alter table runs add column kube_object_uid text;
`,
  },
  {
    version: 13,
    name: 'logical-time-backfills',
    sql: `
-- Logical time (issue 18): a run's scheduled_for is the fire time it stands for (its logical time);
-- the schedule's fire time before it and the DAG version's time zone, in which tasks see both.
alter table runs add column prev_logical_time timestamptz, add column logical_timezone text,
  add column backfill_id bigint;
-- A backfill: one run per fire time of a DAG's schedule in [from_time, to_time), at most
-- max_active of them pending or running at once. status: running | succeeded | failed | canceled.
create table backfills (
  id          bigserial primary key,
  dag_id      bigint not null references dags(id) on delete cascade,
  namespace   text not null,
  dag_name    text not null,
  from_time   timestamptz not null,
  to_time     timestamptz not null,
  max_active  int not null,
  reverse     boolean not null default false,
  created_by  text not null,
  status      text not null default 'running',
  error       text,
  created_at  timestamptz not null default now(),
  finished_at timestamptz,
  -- The Backfill object that asked for it (Kubernetes mode): one backfill per object.
  kube_object_uid text unique
);
create index backfills_by_dag on backfills (namespace, dag_name, id desc);
create index backfills_running on backfills (id) where status = 'running';
-- Its fire times. A fire without a run is pending: its run is created when the backfill has room
-- (lazily, by whichever process releases it). skipped: a run of the DAG for that time existed.
create table backfill_fires (
  backfill_id bigint not null references backfills(id) on delete cascade,
  fire_at     timestamptz not null,
  released_at timestamptz,
  run_id      bigint references runs(id) on delete set null,
  skipped     boolean not null default false,
  primary key (backfill_id, fire_at)
);
create index backfill_fires_pending on backfill_fires (backfill_id, fire_at) where released_at is null;
create index runs_by_backfill on runs (backfill_id, status) where backfill_id is not null;
`,
  },
  {
    version: 14,
    name: 'task-requests',
    sql: `
-- A person's actions on one task of a run (retry it, with its downstream or not; mark it succeeded
-- or failed), for the run's controller: the API records one and sets runs.requested = 'tasks'
-- (which makes a finished run claimable); the controller takes the unapplied ones (marking them
-- applied) and feeds them to the run's engine. requested_by: who asked (the audit log says it too).
create table task_requests (
  id           bigserial primary key,
  run_id       bigint not null references runs(id) on delete cascade,
  task         text not null,
  action       text not null check (action in ('retry', 'mark')),
  downstream   boolean not null default false,
  mark_status  text check (mark_status in ('succeeded', 'failed')),
  requested_by text not null,
  requested_at timestamptz not null default now(),
  applied      boolean not null default false,
  check ((action = 'mark') = (mark_status is not null))
);
create index task_requests_pending on task_requests (run_id, id) where not applied;
`,
  },
  {
    version: 15,
    name: 'attempt-log-times',
    sql: `
-- When each log chunk was stored (the time its lines are shown with): set by the column default as
-- the log writer inserts, so the write path is unchanged (no extra value, write or round trip).
-- Chunks stored before this migration have none (null) rather than the migration's time.
alter table attempt_logs add column stored_at timestamptz;
alter table attempt_logs alter column stored_at set default now();
`,
  },
  {
    version: 16,
    name: 'shard-roles',
    sql: `
-- Shard controllers (kontroler shard create): each logs in as its own PostgreSQL role, confined by
-- row-level security to the runs (and their tasks, attempts, logs, deliveries, decisions) and the
-- DAGs of its namespaces (shards.ts). The tables' owner, the role Kontroler normally runs as,
-- bypasses row-level security (no FORCE): its queries and plans are unchanged. Any other role
-- sees every row through kontroler_rows (true); a shard role's own restrictive policies, made by
-- shard create, narrow that to its namespaces. Tables a shard is not granted (users, tokens,
-- sessions, audit, triggers, settings, this registry) it cannot read at all.
create table shards (
  name       text primary key,
  role       text not null unique,
  namespaces text[] not null,
  created_at timestamptz not null default now()
);
-- The id this session last drew from seq, or null before its first draw (where currval raises):
-- shard policies let a row of a run created by the same statement through by it (shards.ts).
create function kontroler_session_currval(seq regclass) returns bigint language plpgsql volatile as $fn$
begin
  return currval(seq);
exception when object_not_in_prerequisite_state then
  return null;
end
$fn$;
alter table runs enable row level security;
create policy kontroler_rows on runs using (true) with check (true);
alter table task_states enable row level security;
create policy kontroler_rows on task_states using (true) with check (true);
alter table attempts enable row level security;
create policy kontroler_rows on attempts using (true) with check (true);
alter table attempt_logs enable row level security;
create policy kontroler_rows on attempt_logs using (true) with check (true);
alter table webhook_deliveries enable row level security;
create policy kontroler_rows on webhook_deliveries using (true) with check (true);
alter table approval_decisions enable row level security;
create policy kontroler_rows on approval_decisions using (true) with check (true);
alter table run_group_counts enable row level security;
create policy kontroler_rows on run_group_counts using (true) with check (true);
alter table dags enable row level security;
create policy kontroler_rows on dags using (true) with check (true);
alter table dag_versions enable row level security;
create policy kontroler_rows on dag_versions using (true) with check (true);
alter table dag_tasks enable row level security;
create policy kontroler_rows on dag_tasks using (true) with check (true);
alter table dag_task_versions enable row level security;
create policy kontroler_rows on dag_task_versions using (true) with check (true);
alter table task_requests enable row level security;
create policy kontroler_rows on task_requests using (true) with check (true);
alter table backfills enable row level security;
create policy kontroler_rows on backfills using (true) with check (true);
alter table backfill_fires enable row level security;
create policy kontroler_rows on backfill_fires using (true) with check (true);
`,
  },
];
