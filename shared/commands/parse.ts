import { CommandError, NOT_FLOAT, NOT_INTEGER } from '../errors.js';

/** Parses a Redis integer argument (string2ll rules: no spaces, no '+', fits in a signed 64-bit range). */
export function parseInteger(s: string, error = NOT_INTEGER): number {
  if (!/^(0|-?[1-9]\d*)$/.test(s) || s.length > 20) throw new CommandError(error);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) {
    // Beyond 2^53 we cannot count exactly in a double; Redis accepts up to 2^63-1. Use BigInt range checks.
    const b = BigInt(s);
    if (b > 9223372036854775807n || b < -9223372036854775808n) throw new CommandError(error);
    return n;
  }
  return n;
}

/** Parses a Redis integer argument as a BigInt (for INCRBY arithmetic that must not lose precision). */
export function parseBigInteger(s: string, error = NOT_INTEGER): bigint {
  if (!/^(0|-?[1-9]\d*)$/.test(s) || s.length > 20) throw new CommandError(error);
  const b = BigInt(s);
  if (b > 9223372036854775807n || b < -9223372036854775808n) throw new CommandError(error);
  return b;
}

/**
 * Parses a Redis float argument (strtold rules as Redis uses them): decimal or exponent notation, "inf",
 * "+inf", "-inf" (case-insensitive); no NaN, no surrounding spaces.
 */
export function parseFloatArg(s: string, error = NOT_FLOAT): number {
  const t = s.toLowerCase();
  if (t === 'inf' || t === '+inf' || t === 'infinity' || t === '+infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  if (s.length === 0 || /\s/.test(s) || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) throw new CommandError(error);
  const n = Number(s);
  if (Number.isNaN(n)) throw new CommandError(error);
  return n;
}

/** Whether an argument equals `word`, ignoring ASCII case (Redis's strcasecmp on options). */
export function isWord(arg: string, word: string): boolean {
  return arg.length === word.length && arg.toLowerCase() === word;
}
