// The JSON primitives of the proxy's body scanners (body-scan.ts, message-scan.ts): each takes
// the raw bytes and an index and returns the index after a token, without building values.
// Strings are skipped with Buffer#indexOf (memchr), so an 11 KB prompt costs a few native calls.

export const enum Kind {
  Missing = 0,
  String = 1,
  Array = 2,
  Object = 3,
  Number = 4,
  True = 5,
  False = 6,
  Null = 7,
}

export const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export function skipWs(buf: Buffer, i: number): number {
  while (i < buf.length && isWs(buf[i])) i++;
  return i;
}

/** `i` is an opening quote; returns the index after its closing quote, or -1. */
export function stringEnd(buf: Buffer, i: number): number {
  let q = i;
  for (;;) {
    q = buf.indexOf(QUOTE, q + 1);
    if (q < 0) return -1;
    let b = q - 1;
    let n = 0;
    while (buf[b] === BACKSLASH) {
      n++;
      b--;
    }
    if ((n & 1) === 0) return q + 1;
  }
}

function literalEnd(buf: Buffer, i: number, lit: string): number {
  for (let k = 0; k < lit.length; k++) if (buf[i + k] !== lit.charCodeAt(k)) return -1;
  return i + lit.length;
}

function numberEnd(buf: Buffer, i: number): number {
  const start = i;
  while (i < buf.length) {
    const c = buf[i];
    if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x45 || c === 0x65) i++;
    else break;
  }
  return i > start ? i : -1;
}

// JSON.parse copes with any depth, but tools downstream (and loggers) recurse: refuse what no
// real request needs (tool schemas nest a few dozen levels at most).
export const MAX_DEPTH = 256;
export const TOO_DEEP = -2;

/** Skips an object or array starting at `i`; returns the index after it, -1 (broken) or TOO_DEEP. */
export function nestedEnd(buf: Buffer, i: number): number {
  let depth = 0;
  const len = buf.length;
  while (i < len) {
    const c = buf[i];
    if (c === QUOTE) {
      i = stringEnd(buf, i);
      if (i < 0) return -1;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_DEPTH) return TOO_DEEP;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return -1;
}

export function kindAt(c: number): Kind {
  switch (c) {
    case QUOTE:
      return Kind.String;
    case 0x5b:
      return Kind.Array;
    case 0x7b:
      return Kind.Object;
    case 0x74:
      return Kind.True;
    case 0x66:
      return Kind.False;
    case 0x6e:
      return Kind.Null;
    default:
      return (c >= 0x30 && c <= 0x39) || c === 0x2d ? Kind.Number : Kind.Missing;
  }
}

export function valueEnd(buf: Buffer, i: number, kind: Kind): number {
  switch (kind) {
    case Kind.String:
      return stringEnd(buf, i);
    case Kind.Array:
    case Kind.Object:
      return nestedEnd(buf, i);
    case Kind.True:
      return literalEnd(buf, i, 'true');
    case Kind.False:
      return literalEnd(buf, i, 'false');
    case Kind.Null:
      return literalEnd(buf, i, 'null');
    case Kind.Number:
      return numberEnd(buf, i);
    default:
      return -1;
  }
}

/** The string value between quotes at [start, end); JSON-decoded only when it has escapes. */
export function stringValue(buf: Buffer, start: number, end: number): string | null {
  const s = buf.toString('utf8', start + 1, end - 1);
  if (s.indexOf('\\') < 0) return s;
  try {
    return JSON.parse(buf.toString('utf8', start, end)) as string;
  } catch {
    return null;
  }
}

// Key bytes compared without decoding: only keys of these lengths are looked at.
export function keyIs(buf: Buffer, start: number, end: number, key: string): boolean {
  if (end - start - 2 !== key.length) return false;
  for (let k = 0; k < key.length; k++) if (buf[start + 1 + k] !== key.charCodeAt(k)) return false;
  return true;
}

/** How OpenAI's errors name a value's type ("expected a string, but got an integer instead"). */
export function kindName(kind: Kind): string {
  switch (kind) {
    case Kind.String:
      return 'a string';
    case Kind.Array:
      return 'an array';
    case Kind.Object:
      return 'an object';
    case Kind.Number:
      return 'a number';
    case Kind.True:
    case Kind.False:
      return 'a boolean';
    case Kind.Null:
      return 'null';
    default:
      return 'nothing';
  }
}
