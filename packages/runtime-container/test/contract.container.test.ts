// DockerContainerRuntime keeps the TaskRuntime contract against a real engine (Podman's Docker
// API) with the locally built test image: every instance the contract opens is a new runtime
// over the same engine and state folder.
import { runtimeContract } from '@kontroler/testing';
import { sandbox } from './helpers.js';

runtimeContract('DockerContainerRuntime', async () => {
  const box = await sandbox();
  return { open: () => box.runtime(), image: box.te.image, cleanup: () => box.cleanup() };
});
