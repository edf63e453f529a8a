// `shoal service update|scale|rollback`: read the service for its version, change
// its spec, POST /services/{id}/update?version=N, then wait for convergence unless -d.
import type { Command } from 'commander';
import type { EngineApi, NetworkAttachmentConfig } from '@shoal/api';
import { commandPath, defineLeaf, exactArgs, minArgs, useLine, type Flags } from '../command-kit';
import type { CliContext } from '../context';
import { MultiError, describeError } from '../errors';
import { imageWithTag } from '../format/image-ref';
import { resolveNetworkId } from './service-create';
import { commonServiceFlags, parsedList, type ContainerSpecX } from './service-opts';
import { parseDecimalUint } from './service-parse';
import { updateReferences } from './service-refs';
import { UPDATE_ONLY_FLAGS, applyServiceUpdate } from './service-update-spec';
import { waitOnService } from './service-wait';

const DETACH_FLAG = { name: 'detach', short: 'd', kind: 'bool', description: 'Exit immediately instead of waiting for the service to converge' } as const;

async function networkIds(client: EngineApi, flags: Flags): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const refs = [...flags.list('network-rm'), ...parsedList<NetworkAttachmentConfig>(flags, 'network-add').map((n) => n.Target)];
  for (const ref of refs) if (!ids.has(ref)) ids.set(ref, await resolveNetworkId(client, ref));
  return ids;
}

async function runUpdate(ctx: CliContext, ref: string, flags: Flags): Promise<void> {
  const client = ctx.client();
  const service = await client.serviceInspect(ref);
  const rollback = flags.bool('rollback');
  if (rollback) {
    const others = flags.count() - ['rollback', 'detach', 'quiet'].filter((n) => flags.changed(n)).length;
    if (others > 0) throw new Error('other flags may not be combined with --rollback');
  }
  const spec = service.Spec;
  applyServiceUpdate(spec, flags, { env: ctx.io.env, networkIds: await networkIds(client, flags) });
  // Then, as runUpdate does: secrets, configs and the credential spec (which may name a config).
  await updateReferences(client, (spec.TaskTemplate.ContainerSpec ??= { Image: '' }) as ContainerSpecX, flags);
  const container = spec.TaskTemplate.ContainerSpec;
  if (container !== undefined) container.Image = imageWithTag(container.Image);
  const response = await client.serviceUpdate(service.ID, service.Version.Index, spec, {
    registryAuthFrom: 'spec',
    ...(rollback ? { rollback: 'previous' as const } : {}),
  });
  for (const warning of response.Warnings ?? []) ctx.io.err(`${warning}\n`);
  ctx.io.out(`${ref}\n`);
  if (!flags.bool('detach')) await waitOnService(client, ctx.io, ref, { quiet: flags.bool('quiet') });
}

/** runServiceScale: only replicated services have a replica count to set. */
async function scaleOne(client: EngineApi, ref: string, replicas: number): Promise<string[]> {
  const service = await client.serviceInspect(ref);
  const mode = service.Spec.Mode ?? {};
  if (mode.Replicated !== undefined) mode.Replicated.Replicas = replicas;
  else if (mode.ReplicatedJob !== undefined) mode.ReplicatedJob.TotalCompletions = replicas;
  else throw new Error('scale can only be used with replicated or replicated-job mode');
  const response = await client.serviceUpdate(service.ID, service.Version.Index, service.Spec);
  return response.Warnings ?? [];
}

function registerScale(service: Command, ctx: CliContext): void {
  const scale = defineLeaf(service, ctx, {
    use: 'scale SERVICE=REPLICAS [SERVICE=REPLICAS...]',
    short: 'Scale one or multiple replicated services',
    args: minArgs(1),
    flags: [DETACH_FLAG],
    run: async (c, args, flags) => {
      for (const arg of args) {
        const eq = arg.indexOf('=');
        if (eq <= 0 || eq === arg.length - 1) {
          throw new Error(
            `invalid scale specifier '${arg}'.\nSee '${commandPath(scale)} --help'.\n\nUsage:  ${useLine(scale)}\n\n${scale.description()}`,
          );
        }
      }
      const client = c.client();
      const errors: Error[] = [];
      const scaled: string[] = [];
      for (const arg of args) {
        const eq = arg.indexOf('=');
        const ref = arg.slice(0, eq);
        const value = arg.slice(eq + 1);
        let replicas: number;
        try {
          replicas = parseDecimalUint(value);
        } catch (err) {
          errors.push(new Error(`${ref}: invalid replicas value ${value}: ${describeError(err)}`));
          continue;
        }
        try {
          for (const warning of await scaleOne(client, ref, replicas)) c.io.err(`${warning}\n`);
        } catch (err) {
          errors.push(new Error(`${ref}: ${describeError(err)}`, { cause: err }));
          continue;
        }
        c.io.out(`${ref} scaled to ${replicas}\n`);
        scaled.push(ref);
      }
      if (!flags.bool('detach')) {
        for (const ref of scaled) {
          try {
            await waitOnService(client, c.io, ref, { quiet: false });
          } catch (err) {
            errors.push(new Error(`${ref}: ${describeError(err)}`, { cause: err }));
          }
        }
      }
      if (errors.length > 0) throw new MultiError(errors);
    },
  });
}

export function registerServiceUpdateCommands(service: Command, ctx: CliContext): void {
  defineLeaf(service, ctx, {
    use: 'update [OPTIONS] SERVICE',
    short: 'Update a service',
    args: exactArgs(1),
    flags: [...UPDATE_ONLY_FLAGS, ...commonServiceFlags(false)],
    run: (c, [ref = ''], flags) => runUpdate(c, ref, flags),
  });

  registerScale(service, ctx);

  defineLeaf(service, ctx, {
    use: 'rollback [OPTIONS] SERVICE',
    short: "Revert changes to a service's configuration",
    args: exactArgs(1),
    flags: [{ name: 'quiet', short: 'q', kind: 'bool', description: 'Suppress progress output' }, DETACH_FLAG],
    run: async (c, [ref = ''], flags) => {
      const client = c.client();
      const service = await client.serviceInspect(ref);
      const response = await client.serviceUpdate(service.ID, service.Version.Index, service.Spec, { rollback: 'previous' });
      for (const warning of response.Warnings ?? []) c.io.err(`${warning}\n`);
      c.io.out(`${ref}\n`);
      if (!flags.bool('detach')) await waitOnService(client, c.io, ref, { quiet: flags.bool('quiet') });
    },
  });
}
