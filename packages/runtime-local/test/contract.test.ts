// LocalProcessRuntime keeps the TaskRuntime contract (real processes, a fresh state folder).
import { runtimeContract } from '@kontroler/testing';
import { sandbox } from './helpers.js';

runtimeContract('LocalProcessRuntime', async () => {
  const box = await sandbox();
  return { open: () => box.runtime(), cleanup: () => box.cleanup() };
});
