// Finds the few top-level fields the proxy needs (model, stream, messages, input, user)
// in a raw JSON request body WITHOUT building the object: strings are skipped with
// Buffer#indexOf (memchr), so an 11 KB prompt costs a handful of native calls instead of a
// JSON.parse (and the body is forwarded as the same bytes, never re-serialised).
// The structure is checked (one top-level object, balanced brackets, terminated strings,
// valid literals), string contents are not: a body that is broken inside a string reaches
// the upstream, which answers 400 itself. The types and ranges of the common chat
// parameters are checked here too (a gateway should not spend an upstream call on a body
// OpenAI would refuse), and so is UTF-8 (one native pass).
import { isUtf8 } from 'node:buffer';

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

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export class BodyScan {
  /** null when the body is a JSON object with well-typed known fields; else why not */
  error: string | null = null;
  /** the field `error` is about (null for a body that is not JSON at all) */
  errorParam: string | null = null;
  /** the first known field with a wrong type or range (becomes `error` once the body is whole) */
  fieldError: string | null = null;
  fieldParam: string | null = null;
  model: string | null = null;
  modelKind: Kind = Kind.Missing;
  /** byte offsets of the model value, quotes included (for rewriting it in place) */
  modelStart = 0;
  modelEnd = 0;
  streamKind: Kind = Kind.Missing;
  messagesKind: Kind = Kind.Missing;
  inputKind: Kind = Kind.Missing;
  user: string | null = null;
  /** `stream_options` present (its include_usage is read by the upstream) */
  hasStreamOptions = false;
  /**
   * Set (by the constructor, or by the caller before the scan) when a response cache will
   * want a key: then `kept` gets the byte ranges [key start, value end) of the top-level members that change the
   * answer, and `hasVolatile` says whether any other (volatile) member was seen, so the cache
   * hashes the body without them and without parsing it (response-cache.ts). Off, the scan
   * records nothing.
   */
  recordMembers: boolean;
  kept: number[] | null = null;
  hasVolatile = false;

  constructor(recordMembers = false) {
    this.recordMembers = recordMembers;
  }

  get stream(): boolean {
    return this.streamKind === Kind.True;
  }
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipWs(buf: Buffer, i: number): number {
  while (i < buf.length && isWs(buf[i])) i++;
  return i;
}

/** `i` is an opening quote; returns the index after its closing quote, or -1. */
function stringEnd(buf: Buffer, i: number): number {
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
const MAX_DEPTH = 256;
const TOO_DEEP = -2;

/** Skips an object or array starting at `i`; returns the index after it, -1 (broken) or TOO_DEEP. */
function nestedEnd(buf: Buffer, i: number): number {
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

function kindAt(c: number): Kind {
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

function valueEnd(buf: Buffer, i: number, kind: Kind): number {
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
function stringValue(buf: Buffer, start: number, end: number): string | null {
  const s = buf.toString('utf8', start + 1, end - 1);
  if (s.indexOf('\\') < 0) return s;
  try {
    return JSON.parse(buf.toString('utf8', start, end)) as string;
  } catch {
    return null;
  }
}

// Key bytes compared without decoding: only keys of these lengths are looked at.
function keyIs(buf: Buffer, start: number, end: number, key: string): boolean {
  if (end - start - 2 !== key.length) return false;
  for (let k = 0; k < key.length; k++) if (buf[start + 1 + k] !== key.charCodeAt(k)) return false;
  return true;
}

/**
 * user, metadata, request_id, stream_options, litellm_metadata: top-level fields that identify
 * the caller or carry bookkeeping, not the question, so the response cache leaves them out of
 * its key (`"user"` is in the seed's every request).
 */
function isVolatileKey(buf: Buffer, ks: number, ke: number): boolean {
  switch (ke - ks - 2) {
    case 4:
      return keyIs(buf, ks, ke, 'user');
    case 8:
      return keyIs(buf, ks, ke, 'metadata');
    case 10:
      return keyIs(buf, ks, ke, 'request_id');
    case 14:
      return keyIs(buf, ks, ke, 'stream_options');
    case 16:
      return keyIs(buf, ks, ke, 'litellm_metadata');
    default:
      return false;
  }
}

/** Scans `buf` into `out` (reset by the caller: one BodyScan per request). */
export function scanBody(buf: Buffer, out: BodyScan): BodyScan {
  let i = skipWs(buf, 0);
  if (buf[i] !== 0x7b) {
    out.error = 'the body is not a JSON object';
    return out;
  }
  if (!isUtf8(buf)) {
    out.error = 'the body is not valid UTF-8';
    return out;
  }
  i = skipWs(buf, i + 1);
  if (buf[i] === 0x7d) return finish(buf, i + 1, out);
  for (;;) {
    if (buf[i] !== QUOTE) return fail(out);
    const ks = i;
    const ke = stringEnd(buf, i);
    if (ke < 0) return fail(out);
    i = skipWs(buf, ke);
    if (buf[i] !== 0x3a) return fail(out);
    i = skipWs(buf, i + 1);
    const kind = kindAt(buf[i]);
    const vs = i;
    // messages is walked once, checking its elements on the way (most of the body is in it)
    const ve = kind === Kind.Array && ke - ks - 2 === 8 && keyIs(buf, ks, ke, 'messages') ? messagesEnd(buf, i, out) : valueEnd(buf, i, kind);
    if (ve < 0) {
      if (ve !== TOO_DEEP) return fail(out);
      out.error = `the body nests arrays/objects deeper than ${MAX_DEPTH} levels`;
      return out;
    }
    switch (ke - ks - 2) {
      case 1:
        if (keyIs(buf, ks, ke, 'n') && !intIn(buf, vs, ve, kind, 1, 128)) bad(out, 'n', 'an integer from 1 to 128');
        break;
      case 4:
        if (keyIs(buf, ks, ke, 'user')) {
          if (kind === Kind.String) out.user = stringValue(buf, vs, ve);
          else if (kind !== Kind.Null) bad(out, 'user', 'a string');
        } else if (keyIs(buf, ks, ke, 'stop') && kind !== Kind.String && kind !== Kind.Array && kind !== Kind.Null) {
          bad(out, 'stop', 'a string or an array of strings');
        } else if (keyIs(buf, ks, ke, 'seed') && !intIn(buf, vs, ve, kind, -MAX_INT, MAX_INT)) bad(out, 'seed', 'an integer');
        break;
      case 10:
        if (keyIs(buf, ks, ke, 'max_tokens') && !intIn(buf, vs, ve, kind, 1, MAX_INT)) bad(out, 'max_tokens', `an integer from 1 to ${MAX_INT}`);
        break;
      case 11:
        if (keyIs(buf, ks, ke, 'temperature') && !numIn(buf, vs, ve, kind, 0, 2)) bad(out, 'temperature', 'a number from 0 to 2');
        break;
      case 21:
        if (keyIs(buf, ks, ke, 'max_completion_tokens') && !intIn(buf, vs, ve, kind, 1, MAX_INT)) bad(out, 'max_completion_tokens', `an integer from 1 to ${MAX_INT}`);
        break;
      case 5:
        if (keyIs(buf, ks, ke, 'model')) {
          out.modelKind = kind;
          out.modelStart = vs;
          out.modelEnd = ve;
          if (kind === Kind.String) out.model = stringValue(buf, vs, ve);
        } else if (keyIs(buf, ks, ke, 'input')) out.inputKind = kind;
        else if (keyIs(buf, ks, ke, 'top_p') && !numIn(buf, vs, ve, kind, 0, 1)) bad(out, 'top_p', 'a number from 0 to 1');
        else if (keyIs(buf, ks, ke, 'tools') && kind !== Kind.Array && kind !== Kind.Null) bad(out, 'tools', 'an array');
        break;
      case 6:
        if (keyIs(buf, ks, ke, 'stream')) out.streamKind = kind;
        break;
      case 8:
        if (keyIs(buf, ks, ke, 'messages')) {
          out.messagesKind = kind;
        }
        break;
      case 14:
        if (keyIs(buf, ks, ke, 'stream_options')) {
          out.hasStreamOptions = kind === Kind.Object;
          if (kind !== Kind.Object && kind !== Kind.Null) bad(out, 'stream_options', 'an object');
        }
        break;
    }
    if (out.recordMembers) {
      if (isVolatileKey(buf, ks, ke)) out.hasVolatile = true;
      else if (out.kept === null) out.kept = [ks, ve];
      else out.kept.push(ks, ve);
    }
    i = skipWs(buf, ve);
    const c = buf[i];
    if (c === 0x2c) {
      i = skipWs(buf, i + 1);
      continue;
    }
    if (c === 0x7d) return finish(buf, i + 1, out);
    return fail(out);
  }
}

function fail(out: BodyScan): BodyScan {
  out.error = 'the body is not valid JSON';
  return out;
}

function finish(buf: Buffer, i: number, out: BodyScan): BodyScan {
  if (skipWs(buf, i) !== buf.length) return fail(out);
  // a missing or mistyped model is reported first (by the caller), as OpenAI does
  if (out.fieldError !== null && out.modelKind === Kind.String && out.model) {
    out.error = out.fieldError;
    out.errorParam = out.fieldParam;
  }
  return out;
}

const MAX_INT = 2147483647;

/** Notes the first badly typed field; the scan goes on (the structure still has to be checked). */
function bad(out: BodyScan, param: string, expected: string): void {
  if (out.fieldError !== null) return;
  out.fieldError = `Invalid value for '${param}': expected ${expected}`;
  out.fieldParam = param;
}

/** A number (or null) within [min, max]; only the few parameters checked read their digits. */
function numIn(buf: Buffer, start: number, end: number, kind: Kind, min: number, max: number): boolean {
  if (kind === Kind.Null) return true;
  if (kind !== Kind.Number) return false;
  const v = Number(buf.toString('latin1', start, end));
  return v >= min && v <= max; // NaN (a malformed number) is false both ways
}

function intIn(buf: Buffer, start: number, end: number, kind: Kind, min: number, max: number): boolean {
  if (kind === Kind.Null) return true;
  if (kind !== Kind.Number) return false;
  const v = Number(buf.toString('latin1', start, end));
  return Number.isInteger(v) && v >= min && v <= max;
}

/** `[` at `i`: skips the array like nestedEnd, noting when it is empty or holds a non-object. */
function messagesEnd(buf: Buffer, i: number, out: BodyScan): number {
  let j = skipWs(buf, i + 1);
  if (buf[j] === 0x5d) {
    bad(out, 'messages', 'a non-empty array of message objects');
    return j + 1;
  }
  for (;;) {
    if (buf[j] !== 0x7b) {
      bad(out, 'messages', 'a non-empty array of message objects');
      return nestedEnd(buf, i);
    }
    j = nestedEnd(buf, j);
    if (j < 0) return j;
    j = skipWs(buf, j);
    if (buf[j] === 0x5d) return j + 1;
    if (buf[j] !== 0x2c) return -1;
    j = skipWs(buf, j + 1);
  }
}
