// Small value formatters docker applies to human output (formatter/displayutils.go, go-units).
import { GO_TIME_STRING_LAYOUT, goFormat, parseGoInstant } from '../template/go-time';

/** Docker's capitalizeFirst: first letter upper-cased, the rest lower-cased. */
export function capitalizeFirst(s: string): string {
  if (s.length === 0) return s;
  if (s.length === 1) return s.toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
}

/** Docker's PrettyPrint for enum values: `ready` → `Ready`; nil → `None`. */
export function prettyPrint(value: string | null | undefined): string {
  if (value === null || value === undefined) return 'None';
  return capitalizeFirst(value);
}

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** go-units BytesSize: binary units, four significant digits (`20MiB`, `1.952GiB`). */
export function bytesSize(size: number): string {
  let i = 0;
  while (size >= 1024 && i < BINARY_UNITS.length - 1) {
    size /= 1024;
    i++;
  }
  return `${formatG4(size)}${BINARY_UNITS[i] ?? ''}`;
}

/** Go's `%.4g`. */
function formatG4(x: number): string {
  if (x === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(x)));
  if (exp < -4 || exp >= 4) {
    const [mant = '', e = '0'] = x.toExponential(3).split('e');
    const m = mant.includes('.') ? mant.replace(/\.?0+$/, '') : mant;
    const n = Number(e);
    return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return String(Number(x.toPrecision(4)));
}

const NS_PER_SECOND = 1e9;

/** go-units HumanDuration: `5 seconds`, `About an hour`, `3 months`. */
export function humanDuration(ns: number): string {
  const seconds = Math.trunc(ns / NS_PER_SECOND);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ns / NS_PER_SECOND / 3600 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ns / NS_PER_SECOND / 3600) / 24 / 365)} years`;
}

/**
 * Go's time.Time.String() for an RFC 3339 timestamp, keeping its nanoseconds
 * and zone: `2009-11-10T23:00:00Z` → `2009-11-10 23:00:00 +0000 UTC`.
 */
export function goTimeString(rfc3339: string): string {
  const t = parseGoInstant(rfc3339);
  return t === undefined ? rfc3339 : goFormat(t, GO_TIME_STRING_LAYOUT);
}
