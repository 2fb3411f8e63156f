// The data dir holds the instance file, the lock, database passwords, the local runtime's
// attempts and logs: only the user running Kontroler may read it. Modes are set at creation and
// fixed at every start (older versions made it 0755). When run as root, the embedded PostgreSQL
// runs as the `postgres` user, which needs to pass through (search permission, no listing) to
// reach its own folder inside: startEmbeddedPostgres adds that bit itself.
import { chmod, mkdir, stat } from 'node:fs/promises';

export const PRIVATE_DIR_MODE = 0o700;

/**
 * Creates `dir` (0700) or takes away group and other permissions from an existing one; with
 * `keepOthersSearch` (root starting the embedded PostgreSQL) a search bit for others stays.
 */
export async function preparePrivateDir(dir: string, keepOthersSearch = false): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const mode = (await stat(dir)).mode & 0o777;
  const allowed = keepOthersSearch ? 0o701 : 0o700;
  if ((mode & ~allowed) !== 0) await chmod(dir, mode & allowed);
}
