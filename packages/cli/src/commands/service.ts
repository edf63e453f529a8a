// `shoal service …` (docker/cli cli/command/service): the group and where each sub-command lives.
import type { Command } from 'commander';
import { defineGroup } from '../command-kit';
import type { CliContext } from '../context';
import { registerServiceCreate } from './service-create';
import { registerServiceList } from './service-list';
import { registerServiceLogs } from './service-logs';
import { registerServiceUpdateCommands } from './service-update';

export function registerServiceCommands(root: Command, ctx: CliContext): void {
  const service = defineGroup(root, ctx, 'service', 'Manage Swarm services');
  registerServiceCreate(service, ctx);
  registerServiceList(service, ctx);
  registerServiceUpdateCommands(service, ctx);
  registerServiceLogs(service, ctx);
}
