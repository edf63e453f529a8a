// The methods of Go's time.Time a template can call on docker's timestamps (`{{.UpdatedAt.Unix}}`,
// `{{.CreatedAt.Format "2006-01-02"}}`), for the RFC 3339 text the API carries. The zone is the
// text's own (the API writes UTC, `Z`), as a time.Time decoded from that JSON keeps it.

export interface GoInstant {
  /** Milliseconds since the epoch of the UTC wall clock of the text (the zone's offset applied). */
  epochMs: number;
  /** The fraction of the second in nanoseconds. */
  nanos: number;
  /** The zone's offset east of UTC, in minutes. */
  offsetMin: number;
  /** Go's zone name: UTC for Z, else empty (a fixed offset without a name prints as its offset). */
  zoneName: string;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|([+-])(\d{2}):(\d{2}))$/;

export function parseGoInstant(text: string): GoInstant | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z', sign, oh = '0', om = '0'] = m;
  const offsetMin = zone.toUpperCase() === 'Z' ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d)); // not Date.UTC, which reads years 0-99 as 1900-1999
  date.setUTCHours(Number(h), Number(mi), Number(s), 0);
  const wall = date.getTime();
  return { epochMs: wall - offsetMin * 60_000, nanos: Number(frac.slice(0, 9).padEnd(9, '0')), offsetMin, zoneName: offsetMin === 0 && zone.toUpperCase() === 'Z' ? 'UTC' : '' };
}

/** The layout of Go's Time.String(). */
export const GO_TIME_STRING_LAYOUT = '2006-01-02 15:04:05.999999999 -0700 MST';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** The wall clock in the instant's own zone, as Date's UTC fields. */
function wall(t: GoInstant): Date {
  return new Date(t.epochMs + t.offsetMin * 60_000);
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Go's layout elements, longest first where one is a prefix of another. */
const LAYOUT = /January|Jan|Monday|Mon|MST|2006|06|01|_2|02|002|__2|15|03|04|05|PM|pm|Z07:00:00|Z07:00|Z0700|Z07|-07:00:00|-07:00|-0700|-07|[.,](?:0+|9+)(?!\d)|1|2|3|4|5/g;

function zone(t: GoInstant, element: string): string {
  if (element.startsWith('Z') && t.offsetMin === 0) return 'Z';
  const sign = t.offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(t.offsetMin);
  const hh = pad(Math.floor(abs / 60), 2);
  const mm = pad(abs % 60, 2);
  const body = element.replace(/^Z/, '-');
  if (body === '-07') return `${sign}${hh}`;
  if (body === '-0700') return `${sign}${hh}${mm}`;
  if (body === '-07:00') return `${sign}${hh}:${mm}`;
  return `${sign}${hh}:${mm}:00`;
}

/** Go's Time.Format for the elements of its reference time `Mon Jan 2 15:04:05 MST 2006`. */
export function goFormat(t: GoInstant, layout: string): string {
  const w = wall(t);
  const year = w.getUTCFullYear();
  const hour = w.getUTCHours();
  return layout.replace(LAYOUT, (e) => {
    switch (e) {
      case 'January': return MONTHS[w.getUTCMonth()] as string;
      case 'Jan': return (MONTHS[w.getUTCMonth()] as string).slice(0, 3);
      case 'Monday': return DAYS[w.getUTCDay()] as string;
      case 'Mon': return (DAYS[w.getUTCDay()] as string).slice(0, 3);
      case 'MST': return t.zoneName !== '' ? t.zoneName : zone(t, '-0700'); // Go: a zone without a name as -0700
      case '2006': return pad(year, 4);
      case '06': return pad(year % 100, 2);
      case '01': return pad(w.getUTCMonth() + 1, 2);
      case '1': return String(w.getUTCMonth() + 1);
      case '02': return pad(w.getUTCDate(), 2);
      case '_2': return String(w.getUTCDate()).padStart(2, ' ');
      case '2': return String(w.getUTCDate());
      case '002': return pad(dayOfYear(w), 3);
      case '__2': return String(dayOfYear(w)).padStart(3, ' ');
      case '15': return pad(hour, 2);
      case '03': return pad(hour % 12 === 0 ? 12 : hour % 12, 2);
      case '3': return String(hour % 12 === 0 ? 12 : hour % 12);
      case '04': return pad(w.getUTCMinutes(), 2);
      case '4': return String(w.getUTCMinutes());
      case '05': return pad(w.getUTCSeconds(), 2);
      case '5': return String(w.getUTCSeconds());
      case 'PM': return hour >= 12 ? 'PM' : 'AM';
      case 'pm': return hour >= 12 ? 'pm' : 'am';
      default:
        if (/^[.,]/.test(e)) {
          const digits = pad(t.nanos, 9).slice(0, e.length - 1);
          if (e[1] === '0') return `${e[0] as string}${digits}`;
          const trimmed = digits.replace(/0+$/, ''); // .999: trailing zeros dropped, the dot too when nothing is left
          return trimmed === '' ? '' : `${e[0] as string}${trimmed}`;
        }
        return zone(t, e);
    }
  }); // prettier-ignore
}

function dayOfYear(w: Date): number {
  const start = new Date(0);
  start.setUTCFullYear(w.getUTCFullYear(), 0, 1);
  return Math.floor((w.getTime() - start.getTime()) / 86_400_000) + 1;
}

/**
 * A method of time.Time by name: the value of one that takes no argument, a function for Format;
 * undefined for any other name. `wrap` turns a derived instant (UTC()) back into a template time.
 */
export function goTimeMethod(text: string, name: string, wrap: (rfc3339: string) => unknown): { value: unknown } | undefined {
  const t = parseGoInstant(text);
  if (!t) return undefined;
  const seconds = Math.floor(t.epochMs / 1000);
  const w = wall(t);
  switch (name) {
    case 'Unix': return { value: seconds };
    case 'UnixMilli': return { value: seconds * 1000 + Math.floor(t.nanos / 1e6) };
    case 'UnixMicro': return { value: BigInt(seconds) * 1_000_000n + BigInt(Math.floor(t.nanos / 1e3)) };
    case 'UnixNano': return { value: BigInt(seconds) * 1_000_000_000n + BigInt(t.nanos) };
    case 'Year': return { value: w.getUTCFullYear() };
    case 'Month': return { value: MONTHS[w.getUTCMonth()] };
    case 'Day': return { value: w.getUTCDate() };
    case 'Hour': return { value: w.getUTCHours() };
    case 'Minute': return { value: w.getUTCMinutes() };
    case 'Second': return { value: w.getUTCSeconds() };
    case 'Nanosecond': return { value: t.nanos };
    case 'YearDay': return { value: dayOfYear(w) };
    case 'Weekday': return { value: DAYS[w.getUTCDay()] };
    case 'IsZero': return { value: seconds === -62135596800 && t.nanos === 0 };
    case 'UTC': return { value: wrap(goFormat({ ...t, offsetMin: 0, zoneName: 'UTC' }, '2006-01-02T15:04:05.999999999Z07:00')) };
    case 'String': return { value: goFormat(t, GO_TIME_STRING_LAYOUT) };
    case 'Format': return { value: (layout: unknown) => goFormat(t, String(layout)) };
    default: return undefined;
  }
} // prettier-ignore
