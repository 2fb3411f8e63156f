// Where an instance keeps its data; also how the CLI finds the local instance (instance.json).
import { resolve } from 'node:path';

/** The data dir: --data-dir, else KONTROLER_DATA_DIR, else ./.kontroler (absolute). */
export function dataDirFrom(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return resolve(flag ?? env.KONTROLER_DATA_DIR ?? '.kontroler');
}
