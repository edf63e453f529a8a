// `shoal service create [OPTIONS] IMAGE [COMMAND] [ARG...]` (docker/cli cli/command/service/create.go).
import type { Command } from 'commander';
import type { EngineApi, NetworkAttachmentConfig } from '@shoal/api';
import { defineLeaf, minArgs } from '../command-kit';
import type { CliContext } from '../context';
import { imageWithTag } from '../format/image-ref';
import { CREATE_ONLY_FLAGS, buildServiceSpec, commonServiceFlags, genericResourcesFromFlags, parsedList, type ContainerSpecX } from './service-opts';
import { setCreateReferences } from './service-refs';
import { waitOnService } from './service-wait';

/** resolveNetworkID: docker attaches by ID, looked up among swarm-scoped networks. */
export async function resolveNetworkId(client: EngineApi, ref: string): Promise<string> {
  return (await client.networkInspect(ref, { scope: 'swarm' })).Id;
}

export function registerServiceCreate(service: Command, ctx: CliContext): void {
  const create = defineLeaf(service, ctx, {
    use: 'create [OPTIONS] IMAGE [COMMAND] [ARG...]',
    short: 'Create a new service',
    args: minArgs(1),
    flags: [...CREATE_ONLY_FLAGS, ...commonServiceFlags(true)],
    run: async (c, [image = '', ...args], flags) => {
      const client = c.client();
      const requested = parsedList<NetworkAttachmentConfig>(flags, 'network');
      // Flag values are checked before any network is looked up, as in docker's ToService.
      const spec = buildServiceSpec({ image, args, flags, env: c.io.env, networks: requested });
      if (requested.length > 0) {
        const networks: NetworkAttachmentConfig[] = [];
        for (const n of requested) networks.push({ ...n, Target: await resolveNetworkId(client, n.Target) });
        spec.TaskTemplate.Networks = networks.sort((a, b) => (a.Target < b.Target ? -1 : a.Target > b.Target ? 1 : 0));
      }
      // ToService parses --generic-resource after resolving the networks; runCreate then resolves secrets and configs.
      const generic = genericResourcesFromFlags(flags);
      if (generic.length > 0) ((spec.TaskTemplate.Resources ??= {}).Reservations ??= {}).GenericResources = generic;
      await setCreateReferences(client, spec.TaskTemplate.ContainerSpec as ContainerSpecX, flags);
      // The client tags an untagged image `:latest`. Docker would then pin the
      // digest via GET /distribution/{image}/json; Shoal has no registry, so no lookup and no warning.
      const container = spec.TaskTemplate.ContainerSpec;
      if (container !== undefined) container.Image = imageWithTag(container.Image);
      const response = await client.serviceCreate(spec);
      for (const warning of response.Warnings ?? []) c.io.err(`${warning}\n`);
      c.io.out(`${response.ID}\n`);
      if (flags.bool('detach')) return;
      await waitOnService(client, c.io, response.ID, { quiet: flags.bool('quiet') });
    },
  });
  // `create nginx sh -c 'x'`: everything after IMAGE belongs to the container (pflag's SetInterspersed(false)).
  create.passThroughOptions();
}
