// Secret and config references of `service create/update`: docker resolves their names to IDs
// with GET /secrets and GET /configs (docker/cli cli/command/service/parse.go ParseSecrets and
// ParseConfigs, create.go setConfigs, update.go getUpdatedSecrets/getUpdatedConfigs/updateCredSpecConfig).
import type { Flags } from '../command-kit';
import type { EngineApi } from '@shoal/api';
import { credentialSpecFlag, parsedList, type ContainerSpecX } from './service-opts';
import type { ConfigRef, SecretRef } from './service-container-parse';

/** ParseSecrets: one reference per target file; every name must exist. */
export async function resolveSecrets(client: EngineApi, requested: readonly SecretRef[]): Promise<SecretRef[]> {
  if (requested.length === 0) return [];
  const byTarget = new Map<string, SecretRef>();
  for (const s of requested) {
    if (byTarget.has(s.File.Name)) throw new Error(`duplicate secret target for ${s.SecretName} not allowed`);
    byTarget.set(s.File.Name, { ...s, File: { ...s.File } });
  }
  const refs = [...byTarget.values()];
  const found = new Map((await client.secretList({ name: refs.map((r) => r.SecretName) })).map((s) => [s.Spec.Name, s.ID]));
  return refs.map((ref) => {
    const id = found.get(ref.SecretName);
    if (id === undefined) throw new Error(`secret not found: ${ref.SecretName}`);
    return { ...ref, SecretID: id };
  });
}

/** ParseConfigs: file targets one per file name, runtime targets (credential specs) one per config. */
export async function resolveConfigs(client: EngineApi, requested: readonly ConfigRef[]): Promise<ConfigRef[]> {
  if (requested.length === 0) return [];
  const files = new Map<string, ConfigRef>();
  const runtimes = new Map<string, ConfigRef>();
  for (const c of requested) {
    if (c.Runtime !== undefined) {
      runtimes.set(c.ConfigName, { ...c });
      continue;
    }
    const target = c.File?.Name ?? '';
    if (files.has(target)) throw new Error(`duplicate config target for ${c.ConfigName} not allowed`);
    files.set(target, { ...c, ...(c.File === undefined ? {} : { File: { ...c.File } }) });
  }
  const refs = [...files.values(), ...runtimes.values()];
  const found = new Map((await client.configList({ name: refs.map((r) => r.ConfigName) })).map((c) => [c.Spec.Name, c.ID]));
  return refs.map((ref) => {
    const id = found.get(ref.ConfigName);
    if (id === undefined) throw new Error(`config not found: ${ref.ConfigName}`);
    return { ...ref, ConfigID: id };
  });
}

const runtimeRef = (name: string): ConfigRef => ({ Runtime: {}, ConfigID: '', ConfigName: name });

/** create: --secret, then --config plus the config a `config://` credential spec names (setConfigs). */
export async function setCreateReferences(client: EngineApi, container: ContainerSpecX, flags: Flags): Promise<void> {
  const secrets = parsedList<SecretRef>(flags, 'secret');
  if (secrets.length > 0) container.Secrets = await resolveSecrets(client, secrets);
  const credConfig = credentialSpecFlag(flags)?.value.Config ?? '';
  const configs = [...parsedList<ConfigRef>(flags, 'config'), ...(credConfig === '' ? [] : [runtimeRef(credConfig)])];
  if (configs.length === 0) return;
  const resolved = await resolveConfigs(client, configs);
  container.Configs = resolved;
  const credSpec = container.Privileges?.CredentialSpec;
  if (credConfig !== '' && credSpec !== undefined && credSpec !== null) {
    const match = resolved.find((c) => c.ConfigName === credConfig);
    if (match !== undefined) credSpec.Config = match.ConfigID;
  }
}

/** update: getUpdatedSecrets, getUpdatedConfigs and updateCredSpecConfig, in docker's order. */
export async function updateReferences(client: EngineApi, container: ContainerSpecX, flags: Flags): Promise<void> {
  const removeSecrets = new Set(flags.list('secret-rm'));
  const secrets = ((container.Secrets ?? []) as SecretRef[]).filter((s) => !removeSecrets.has(s.SecretName));
  if (flags.changed('secret-add')) secrets.push(...(await resolveSecrets(client, parsedList<SecretRef>(flags, 'secret-add'))));
  if (secrets.length > 0) container.Secrets = secrets;
  else delete container.Secrets;

  const cred = credentialSpecFlag(flags);
  // A credential spec given now names its config; otherwise the current one (by ID) is kept.
  const credName = cred?.value.Config ?? '';
  const currentCred = container.Privileges?.CredentialSpec;
  const credId = cred === undefined && currentCred !== undefined && currentCred !== null ? currentCred.Config : '';
  const removeConfigs = new Set(flags.list('config-rm'));
  const configs = ((container.Configs ?? []) as ConfigRef[]).filter((c) =>
    c.Runtime !== undefined ? c.ConfigName === credName || (credId !== '' && c.ConfigID === credId) : !removeConfigs.has(c.ConfigName),
  );
  const toResolve = [...(flags.changed('config-add') ? parsedList<ConfigRef>(flags, 'config-add') : []), ...(credName === '' ? [] : [runtimeRef(credName)])];
  if (toResolve.length > 0) configs.push(...(await resolveConfigs(client, toResolve)));
  if (configs.length > 0) container.Configs = configs;
  else delete container.Configs;

  if (cred === undefined) return;
  if (cred.source === '') {
    if (container.Privileges !== undefined) container.Privileges.CredentialSpec = null;
    return;
  }
  const value = { ...cred.value };
  if (value.Config !== '') {
    const match = configs.find((c) => c.ConfigName === value.Config);
    if (match !== undefined) value.Config = match.ConfigID;
  }
  container.Privileges ??= { CredentialSpec: null, SELinuxContext: null, NoNewPrivileges: false };
  container.Privileges.CredentialSpec = value;
}
