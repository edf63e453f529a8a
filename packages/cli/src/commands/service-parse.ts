// Value parsers of the `service create/update` flags, with docker's error texts
// (opts/swarmopts/port.go, opts/opts.go, opts/network.go, go-connections/nat,
// go-units, Go's strconv, google/shlex and encoding/csv).
import type { NetworkAttachmentConfig, PortConfig, PortProtocol, PublishMode } from '@shoal/api';

/** strconv.ParseUint(s, 0, 64): decimal, or 0x/0o/0b/0-prefixed; errors in Go's words. */
export function parseUint64(value: string): number {
  const fail = (): never => {
    throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(value)}: invalid syntax`);
  };
  const s = value.replace(/_/g, '');
  if (s === '' || (value.includes('_') && !/^0[xXoObB]?/.test(value))) fail();
  let n: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) n = parseInt(s.slice(2), 16);
  else if (/^0[bB][01]+$/.test(s)) n = parseInt(s.slice(2), 2);
  else if (/^0[oO][0-7]+$/.test(s)) n = parseInt(s.slice(2), 8);
  else if (/^0[0-7]+$/.test(s)) n = parseInt(s.slice(1), 8);
  else if (/^\d+$/.test(s)) n = Number(s);
  else return fail();
  if (n > 2 ** 64 - 1) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(value)}: value out of range`);
  return n;
}

/** strconv.ParseUint(s, 10, 64). */
export function parseDecimalUint(value: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(value)}: invalid syntax`);
  const n = Number(value);
  if (n > 2 ** 64 - 1) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(value)}: value out of range`);
  return n;
}

/** strconv.ParseFloat(s, 32) for the failure-ratio flags. */
export function parseFloat32(value: string): number {
  const s = value.replace(/_/g, '');
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) && !/^[+-]?(inf|infinity|nan)$/i.test(s)) {
    throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(value)}: invalid syntax`);
  }
  return Math.fround(Number(s));
}

/** opts.ParseCPUs: a rational number of CPUs (`1.5`, `3/2`) as nano CPUs. */
export function parseNanoCpus(value: string): number {
  let num: number;
  let den = 1;
  const frac = /^([+-]?\d+)\/(\d+)$/.exec(value);
  if (frac !== null) {
    num = Number(frac[1]);
    den = Number(frac[2]);
  } else if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value)) {
    num = Number(value);
  } else {
    throw new Error(`failed to parse ${value} as a rational number`);
  }
  if (den === 0) throw new Error(`failed to parse ${value} as a rational number`);
  const nano = (num * 1e9) / den;
  if (Math.abs(nano - Math.round(nano)) > 1e-6) throw new Error('value is too precise');
  return Math.round(nano);
}

const BINARY_UNITS: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** go-units RAMInBytes: `512m`, `1.5GiB`, `2048`. */
export function parseRamInBytes(value: string): number {
  let sep = -1;
  for (let i = value.length - 1; i >= 0; i--) {
    if ('0123456789. '.includes(value[i] as string)) {
      sep = i;
      break;
    }
  }
  if (sep === -1) throw new Error(`invalid size: '${value}'`);
  const num = value[sep] === ' ' ? value.slice(0, sep) : value.slice(0, sep + 1);
  let sfx = value.slice(sep + 1);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(num)) {
    throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(num)}: invalid syntax`);
  }
  let size = Number(num);
  if (size < 0) throw new Error(`invalid size: '${value}'`);
  if (sfx === '') return Math.trunc(size);
  const bad = (): never => {
    throw new Error(`invalid suffix: '${sfx}'`);
  };
  if (sfx.length > 3) bad();
  sfx = sfx.toLowerCase();
  if (sfx[0] === 'b') return sfx.length > 1 ? bad() : Math.trunc(size);
  const mul = BINARY_UNITS[sfx[0] as string];
  if (mul === undefined) bad();
  size *= mul as number;
  if ((sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) bad();
  return Math.trunc(size);
}

const WHITESPACE = ' \t';

/** opts.ValidateLabel */
export function validateLabel(value: string): string {
  const eq = value.indexOf('=');
  const rawKey = eq < 0 ? value : value.slice(0, eq);
  const key = rawKey.replace(/^[ \t]+/, '');
  if (key === '') throw new Error(`invalid label '${value}': empty name`);
  if ([...WHITESPACE].some((w) => key.includes(w))) throw new Error(`label '${key}' contains whitespaces`);
  return value;
}

/** opts.ValidateEnv's syntax check; a bare `KEY` is looked up in the CLI's environment later. */
export function validateEnv(value: string): string {
  const eq = value.indexOf('=');
  if ((eq < 0 ? value : value.slice(0, eq)) === '') throw new Error(`invalid environment variable: ${value}`);
  return value;
}

/** opts.ConvertKVStringsToMap: `k=v` → k: v, a bare `k` → k: "". */
export function kvToMap(items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq < 0) out[item] = '';
    else out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** google/shlex Split, as `--entrypoint` and `--args` use it. */
export function shlexSplit(input: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  const add = (s: string): void => {
    word = (word ?? '') + s;
  };
  while (i < input.length) {
    const ch = input[i] as string;
    if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (ch === '\\') {
      if (i + 1 >= input.length) throw new Error('EOF found after escape character');
      add(input[i + 1] as string);
      i += 2;
    } else if (ch === "'") {
      const end = input.indexOf("'", i + 1);
      if (end < 0) throw new Error('EOF found when expecting closing quote');
      add(input.slice(i + 1, end));
      i = end + 1;
    } else if (ch === '"') {
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= input.length) throw new Error('EOF found when expecting closing quote');
        const c = input[j] as string;
        if (c === '"') break;
        if (c === '\\') {
          if (j + 1 >= input.length) throw new Error('EOF found when expecting closing quote');
          text += input[j + 1] as string;
          j += 2;
          continue;
        }
        text += c;
        j++;
      }
      add(text);
      i = j + 1;
    } else if (ch === '#' && word === undefined) {
      break; // a comment runs to the end of the input
    } else {
      add(ch);
      i++;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** encoding/csv's reading of one record, with its error texts. */
export function readCsvRecord(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let field = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) throw new Error(`parse error on line 1, column ${line.length + 1}: extraneous or missing " in quoted-field`);
        field += line.slice(j, q);
        if (line[q + 1] === '"') {
          field += '"';
          j = q + 2;
        } else if (q + 1 === line.length || line[q + 1] === ',') {
          i = q + 1;
          break;
        } else {
          throw new Error(`parse error on line 1, column ${q + 2}: extraneous or missing " in quoted-field`);
        }
      }
      fields.push(field);
    } else {
      const comma = line.indexOf(',', i);
      const field = comma < 0 ? line.slice(i) : line.slice(i, comma);
      const quote = field.indexOf('"');
      if (quote >= 0) throw new Error(`parse error on line 1, column ${i + quote + 1}: bare " in non-quoted-field`);
      fields.push(field);
      i = comma < 0 ? line.length : comma;
    }
    if (i >= line.length) return fields;
    i++; // skip the comma
  }
}

const LONG_SYNTAX = /\w+=\w+(,\w+=\w+)*/;

/** ParseUint(s, 10, 16) as the port parsers use it. */
function portNumber(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 0xffff ? n : undefined;
}

function portRange(s: string): [number, number] | undefined {
  if (s === '') return undefined;
  const dash = s.indexOf('-');
  if (dash < 0) {
    const n = portNumber(s);
    return n === undefined ? undefined : [n, n];
  }
  const start = portNumber(s.slice(0, dash));
  const end = portNumber(s.split('-')[1] ?? '');
  if (start === undefined || end === undefined || end < start) return undefined;
  return [start, end];
}

function uintErrorReason(s: string): string {
  return /^\d+$/.test(s) ? 'value out of range' : 'invalid syntax';
}

function parseLongPort(value: string): PortConfig {
  const port: { Protocol?: PortProtocol; TargetPort: number; PublishedPort?: number; PublishMode?: PublishMode; ProxyProtocol?: boolean } = {
    TargetPort: 0,
  };
  for (const field of readCsvRecord(value)) {
    const lower = field.toLowerCase();
    const eq = lower.indexOf('=');
    const key = eq < 0 ? lower : lower.slice(0, eq);
    const val = eq < 0 ? '' : lower.slice(eq + 1);
    if (eq < 0 || key === '') throw new Error(`invalid field: ${field}`);
    switch (key) {
      case 'protocol':
        if (val !== 'tcp' && val !== 'udp' && val !== 'sctp') throw new Error(`invalid protocol value '${val}'`);
        port.Protocol = val;
        break;
      case 'mode':
        if (val !== 'ingress' && val !== 'host') {
          throw new Error(`invalid publish mode value (${val}): must be either 'ingress' or 'host'`);
        }
        port.PublishMode = val;
        break;
      case 'proxy-protocol':
        // Shoal extension: the task receives the client's address in a PROXY v2 header.
        if (val !== 'v2') throw new Error(`invalid proxy-protocol value (${val}): only 'v2' is supported`);
        port.ProxyProtocol = true;
        break;
      case 'target':
      case 'published': {
        const n = portNumber(val);
        if (n === undefined) throw new Error(`invalid ${key} port (${val}): value must be an integer: ${uintErrorReason(val)}`);
        if (key === 'target') port.TargetPort = n;
        else port.PublishedPort = n;
        break;
      }
      default:
        throw new Error(`invalid field key: ${key}`);
    }
  }
  if (port.TargetPort === 0) throw new Error("missing mandatory field 'target'");
  return {
    Protocol: port.Protocol ?? 'tcp',
    TargetPort: port.TargetPort,
    PublishedPort: port.PublishedPort ?? 0,
    PublishMode: port.PublishMode ?? 'ingress',
    ...(port.ProxyProtocol ? { ProxyProtocol: true } : {}),
  };
}

/** go-connections' ParsePortSpec and ConvertPortToPortConfig for `[[ip:]published:]target[/proto]`. */
function parseShortPort(value: string): PortConfig[] {
  const parts = value.split(':');
  const containerPart = parts[parts.length - 1] as string;
  const hostPort = parts.length >= 2 ? (parts[parts.length - 2] as string) : '';
  const ip = parts.length >= 3 ? parts.slice(0, parts.length - 2).join(':') : '';
  const slash = containerPart.indexOf('/');
  const containerPort = slash < 0 ? containerPart : containerPart.slice(0, slash);
  let proto = containerPort === '' ? '' : slash < 0 || containerPart.slice(slash + 1) === '' ? 'tcp' : containerPart.slice(slash + 1);
  proto = proto.toLowerCase();
  if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') throw new Error(`invalid proto: ${proto}`);
  let host = ip;
  if (host.startsWith('[')) host = host.replace(/^\[|\]$/g, '');
  if (host !== '' && !isIp(host)) throw new Error(`invalid IP address: ${host}`);
  const target = portRange(containerPort);
  if (target === undefined) throw new Error(`invalid containerPort: ${containerPort}`);
  let published: [number, number] | undefined;
  if (hostPort !== '') {
    published = portRange(hostPort);
    if (published === undefined) throw new Error(`invalid hostPort: ${hostPort}`);
    if (target[1] - target[0] !== published[1] - published[0] && target[1] !== target[0]) {
      throw new Error(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
    }
  }
  if (host !== '') throw new Error('hostip is not supported');
  const out: PortConfig[] = [];
  const count = target[1] - target[0] + 1;
  for (let i = 0; i < count; i++) {
    const targetPort = target[0] + i;
    // A single target port with a published range publishes every port of the range.
    const [from, to] =
      published === undefined ? [0, 0] : count === 1 ? published : [published[0] + i, published[0] + i];
    for (let p = from; p <= to; p++) out.push({ Protocol: proto, TargetPort: targetPort, PublishedPort: p, PublishMode: 'ingress' });
  }
  return out;
}

function isIp(s: string): boolean {
  if (/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s)) return s.split('.').every((o) => Number(o) <= 255 && !/^0\d/.test(o));
  return /^[0-9a-fA-F:.]+$/.test(s) && s.includes(':');
}

/** swarmopts.PortOpt.Set: the long `target=,published=,protocol=,mode=` form or docker's short form. */
export function parsePublish(value: string): PortConfig[] {
  return LONG_SYNTAX.test(value) ? [parseLongPort(value)] : parseShortPort(value);
}

/** opts.NetworkOpt.Set for the fields a swarm service uses (name, alias, driver-opt). */
export function parseNetworkAttachment(value: string): NetworkAttachmentConfig {
  if (!LONG_SYNTAX.test(value)) return { Target: value };
  const att: { Target: string; Aliases: string[]; DriverOpts?: Record<string, string> } = { Target: '', Aliases: [] };
  for (const field of readCsvRecord(value)) {
    const lower = field.toLowerCase();
    const eq = lower.indexOf('=');
    if (eq <= 0) throw new Error(`invalid field ${field}`);
    const key = lower.slice(0, eq).trim();
    const val = lower.slice(eq + 1).trim();
    if (key === 'name') att.Target = val;
    else if (key === 'alias') att.Aliases.push(val);
    else if (key === 'driver-opt') {
      const deq = val.indexOf('=');
      if (deq < 0) throw new Error('invalid key value pair format in driver options');
      (att.DriverOpts ??= {})[val.slice(0, deq).trim()] = val.slice(deq + 1).trim();
    } else throw new Error(`invalid field key ${key}`);
  }
  if (att.Target === '') throw new Error('network name/id is not specified');
  return att;
}

/** placementPrefOpts.Set: only `spread=<descriptor>`. */
export function parsePlacementPref(value: string): { Spread: { SpreadDescriptor: string } } {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new Error('placement preference must be of the format "<strategy>=<arg>"');
  const strategy = value.slice(0, eq);
  if (strategy !== 'spread') throw new Error(`unsupported placement preference ${strategy} (only spread is supported)`);
  return { Spread: { SpreadDescriptor: value.slice(eq + 1) } };
}
