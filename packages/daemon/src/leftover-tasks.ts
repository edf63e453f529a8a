// Tasks a locked node ran before its restart: no agent adopted them, so leaving the swarm
// (`swarm leave --force` while locked) stops them here.
import { ProcessExecutor } from '@shoal/runtime';
import type { Logger } from 'pino';

export async function stopLeftoverTasks(stateDir: string, logger: Logger): Promise<void> {
  const executor = new ProcessExecutor({ stateDir, logger: logger.child({ module: 'runtime' }) });
  try {
    for (const t of await executor.adopt()) {
      await t.controller.remove().catch((err: unknown) => logger.warn({ err, taskId: t.spec.taskId }, 'cleanup failed'));
    }
  } finally {
    await executor.close();
  }
}
