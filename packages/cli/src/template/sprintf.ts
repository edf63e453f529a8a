// Go's fmt.Sprintf for the verbs templates use: %s %v %d %q %t %f %x %%.
import { printValue, unwrapDuration } from './values';

export function sprintf(format: string, args: unknown[]): string {
  let i = 0;
  return format.replace(/%([-+# 0]*)(\d+)?(?:\.(\d+))?([svdqtfxX%])/g, (_m, flags: string, width?: string, prec?: string, verb?: string) => {
    if (verb === '%') return '%';
    if (i >= args.length) return `%!${verb}(MISSING)`;
    const given = args[i++];
    // A time.Duration is a Stringer to the verbs that print strings (fmt calls String() for
    // %s %q %v %x %X) and an integer to %d and %f.
    const arg = verb === 'd' || verb === 'f' ? unwrapDuration(given) : given;
    let s: string;
    switch (verb) {
      case 'd':
        s = typeof arg === 'number' ? String(Math.trunc(arg)) : `%!d(${typeof arg}=${printValue(arg)})`;
        break;
      case 'f':
        s = typeof arg === 'number' ? arg.toFixed(prec === undefined ? 6 : Number(prec)) : `%!f(${printValue(arg)})`;
        break;
      case 'q':
        s = JSON.stringify(printValue(arg));
        break;
      case 'x':
      case 'X':
        s = typeof arg === 'number' ? arg.toString(16) : Buffer.from(printValue(arg)).toString('hex');
        if (verb === 'X') s = s.toUpperCase();
        break;
      default:
        s = printValue(arg);
        if (prec !== undefined && (verb === 's' || verb === 'v')) s = [...s].slice(0, Number(prec)).join('');
    }
    const w = width === undefined ? 0 : Number(width);
    if (s.length >= w) return s;
    if (flags.includes('-')) return s.padEnd(w, ' ');
    return s.padStart(w, flags.includes('0') && verb !== 's' ? '0' : ' ');
  });
}
