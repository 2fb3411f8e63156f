// Child-process entry for CLI end-to-end tests: `node remote-entry.js <args>`.
import { runRemote } from '@kontroler/cli/remote/program';

await runRemote(['node', 'kontroler', ...process.argv.slice(2)]);
