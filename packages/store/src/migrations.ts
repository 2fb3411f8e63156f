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
];
