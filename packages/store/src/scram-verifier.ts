// A PostgreSQL SCRAM-SHA-256 password verifier (RFC 5802 / 7677, as pg_authid stores it), so a role
// is created with `password 'SCRAM-SHA-256$...'`: the password itself never travels in SQL text,
// where statement logging (log_statement = ddl) would keep it.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** PostgreSQL's default (scram_iterations). */
export const SCRAM_ITERATIONS = 4096;

/** The verifier of `password` with a random salt (or `salt`, for tests). */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = SCRAM_ITERATIONS): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
