// The rows of the server's own tables as node-postgres returns them: see ../rows.ts for how each
// column type arrives.

/** `server_settings` (migration 2). */
export interface ServerSettingsRow {
  key: string;
  value: string;
  created_at: Date;
}

/** `schema_migrations` (made by migrate.ts, before any migration). */
export interface SchemaMigrationsRow {
  version: number;
  name: string;
  applied_at: Date;
}

/** `shards` (migration 16): the shard roles `kontroler shard create` made (shards.ts). */
export interface ShardsRow {
  name: string;
  role: string;
  namespaces: string[];
  created_at: Date;
}
