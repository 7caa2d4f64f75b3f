/**
 * C's printf("%.<precision>g") for Lua 5.1's number formatting (tostring uses %.14g) and its spellings of the
 * special values as glibc prints them ("inf", "-inf", "nan", "-nan").
 */
export function formatG(d: number, precision: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return nanIsNegative(d) ? '-nan' : 'nan';
  const sign = d < 0 || Object.is(d, -0) ? '-' : '';
  if (d === 0) return sign + '0';
  const { digits, exp } = roundDigits(Math.abs(d), precision);
  if (exp < -4 || exp >= precision) {
    const frac = digits.slice(1).replace(/0+$/, '');
    const abs = Math.abs(exp);
    return `${sign}${digits[0]}${frac ? '.' + frac : ''}e${exp < 0 ? '-' : '+'}${abs < 10 ? '0' + abs : abs}`;
  }
  let int: string;
  let frac: string;
  if (exp >= 0) {
    int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    frac = digits.slice(exp + 1);
  } else {
    int = '0';
    frac = '0'.repeat(-exp - 1) + digits;
  }
  frac = frac.replace(/0+$/, '');
  return sign + int + (frac ? '.' + frac : '');
}

/**
 * The first `precision` significant digits of x > 0 and its decimal exponent, rounded as glibc does (to
 * nearest, exact ties to even; JS rounds ties up).
 */
export function roundDigits(x: number, precision: number): { digits: string; exp: number } {
  const [m, e] = x.toExponential(precision - 1).split('e');
  const [lm, le] = x.toExponential(Math.min(100, precision + 29)).split('e');
  const long = lm.replace('.', '');
  if (long[precision] === '5' && /^0*$/.test(long.slice(precision + 1)) && Number(long[precision - 1]) % 2 === 0) {
    return { digits: long.slice(0, precision), exp: Number(le) };
  }
  return { digits: m.replace('.', ''), exp: Number(e) };
}

const nanView = new DataView(new ArrayBuffer(8));

/** The sign bit of a NaN (x86's 0/0 is negative: glibc prints "-nan"). */
function nanIsNegative(d: number): boolean {
  nanView.setFloat64(0, d);
  return (nanView.getUint8(0) & 0x80) !== 0;
}

/** Lua 5.1's tostring of a number (LUA_NUMBER_FMT "%.14g"). */
export function luaNumberToString(d: number): string {
  return formatG(d, 14);
}
