// What a node runs its tasks with: the executor that holds their processes and the data plane
// that routes to them. A role change keeps both, so published ports, gossip and tunnels do not
// blink and the tasks stay this process's children (the next agent learns how they exit; an
// executor that adopts a task from its state files cannot). The rest of a membership (agent,
// manager, certificate renewal) is rebuilt.
import * as path from 'node:path';
import { ProcessExecutor } from '@shoal/runtime';
import type { TlsMaterial } from '@shoal/wire';
import type { Logger } from 'pino';
import { DataPlane } from './data-plane';

export interface NodeTasks {
  executor: ProcessExecutor;
  dataPlane: DataPlane;
}

export interface NodeTasksOptions {
  dataDir: string;
  nodeId: string;
  /** The node's own address: tasks listen there, so nodes sharing a host (loopback aliases) stay apart. */
  addr: string;
  tls: TlsMaterial;
  kernelFastPath: boolean;
  /** Gossip's failure detector speeds up the leader's view of a dead node (Dispatcher.nodeSuspected). */
  onPeerSuspected: (nodeId: string) => void;
  logger: Logger;
}

export function startNodeTasks(o: NodeTasksOptions): NodeTasks {
  return {
    executor: new ProcessExecutor({
      stateDir: path.join(o.dataDir, 'tasks'),
      host: o.addr,
      listenHost: o.addr,
      logger: o.logger.child({ module: 'runtime' }),
    }),
    dataPlane: new DataPlane({
      nodeId: o.nodeId,
      addr: o.addr,
      tls: o.tls,
      kernelFastPath: o.kernelFastPath,
      onPeerSuspected: o.onPeerSuspected,
      logger: o.logger.child({ module: 'mesh' }),
    }),
  };
}

/** Lets go of both: the mesh stops serving, the executor releases its tasks without stopping them. */
export async function releaseNodeTasks(t: NodeTasks): Promise<void> {
  await t.dataPlane.stop();
  await t.executor.close();
}
