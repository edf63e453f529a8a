// Image references as docker's distribution/reference reads them: normalised to
// `docker.io/library/nginx:latest`, shown in their familiar form `nginx:latest`.

export interface ImageReference {
  /** Full name with domain: `docker.io/library/nginx`. */
  name: string;
  tag?: string;
  digest?: string;
}

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const DOMAIN_PART = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_PART}(?:\\.${DOMAIN_PART})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^((?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const NAME_MAX = 255;

/** reference.ParseNormalizedNamed; undefined where docker returns an error. */
export function parseNormalizedNamed(input: string): ImageReference | undefined {
  if (/^[a-f0-9]{64}$/.test(input)) return undefined;
  const slash = input.indexOf('/');
  const first = slash < 0 ? '' : input.slice(0, slash);
  let domain = DEFAULT_DOMAIN;
  let remainder = input;
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.toLowerCase() !== first)) {
    domain = first;
    remainder = input.slice(slash + 1);
  }
  if (domain === LEGACY_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_PREFIX + remainder;
  const m = REFERENCE.exec(`${domain}/${remainder}`);
  if (m === null) return undefined;
  const [, name = '', tag, digest] = m;
  if (name.length > NAME_MAX) return undefined;
  // Upper case in the path is refused (the domain may have it).
  if (name.slice(domain.length).toLowerCase() !== name.slice(domain.length)) return undefined;
  return { name, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

/** reference.FamiliarName: `docker.io/library/nginx` → `nginx`. */
export function familiarName(name: string): string {
  if (!name.startsWith(`${DEFAULT_DOMAIN}/`)) return name;
  const path = name.slice(DEFAULT_DOMAIN.length + 1);
  if (path.startsWith(OFFICIAL_PREFIX) && !path.slice(OFFICIAL_PREFIX.length).includes('/')) return path.slice(OFFICIAL_PREFIX.length);
  return path;
}

export function familiarString(ref: ImageReference): string {
  return `${familiarName(ref.name)}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/**
 * The client's imageWithTagString for `service create/update`: `nginx` →
 * `nginx:latest`; a reference docker cannot parse is sent unchanged.
 */
export function imageWithTag(image: string): string {
  const ref = parseNormalizedNamed(image);
  if (ref === undefined) return image;
  if (ref.tag === undefined && ref.digest === undefined) ref.tag = 'latest';
  return familiarString(ref);
}

/** How `service ls`/`service ps` show an image: a tagged reference loses its digest. */
export function displayImage(image: string): string {
  const ref = parseNormalizedNamed(image);
  if (ref?.tag === undefined) return image;
  return `${familiarName(ref.name)}:${ref.tag}`;
}
