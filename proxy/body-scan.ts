// Finds the few top-level fields the proxy needs (model, stream, messages, input, user)
// in a raw JSON request body WITHOUT building the object: strings are skipped with
// Buffer#indexOf (memchr), so an 11 KB prompt costs a handful of native calls instead of a
// JSON.parse (and the body is forwarded as the same bytes, never re-serialised).
// The structure is checked (one top-level object, balanced brackets, terminated strings,
// valid literals), string contents are not: a body that is broken inside a string reaches
// the upstream, which answers 400 itself. The types and ranges of the common chat
// parameters are checked here too (a gateway should not spend an upstream call on a body
// OpenAI would refuse), and so is UTF-8 (one native pass); each message of `messages` is
// checked as the array is walked (message-scan.ts).
import { isUtf8 } from 'node:buffer';
import { Kind, MAX_DEPTH, QUOTE, TOO_DEEP, keyIs, kindAt, skipWs, stringEnd, stringValue, valueEnd } from './json-scan.js';
import { messagesEnd } from './message-scan.js';

export { Kind } from './json-scan.js';

export class BodyScan {
  /** null when the body is a JSON object with well-typed known fields; else why not */
  error: string | null = null;
  /** the field `error` is about (null for a body that is not JSON at all) */
  errorParam: string | null = null;
  /** OpenAI's error code for it (invalid_value, invalid_type, missing_required_parameter, …) */
  errorCode: string | null = null;
  /** the first known field with a wrong type or range (becomes `error` once the body is whole) */
  fieldError: string | null = null;
  fieldParam: string | null = null;
  fieldCode: string | null = null;
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

  /** Notes the first badly typed field; the scan goes on (the structure still has to be checked). */
  problem(param: string, message: string, code: string): void {
    if (this.fieldError !== null) return;
    this.fieldError = message;
    this.fieldParam = param;
    this.fieldCode = code;
  }
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
    out.errorCode = out.fieldCode;
  }
  return out;
}

const MAX_INT = 2147483647;

function bad(out: BodyScan, param: string, expected: string): void {
  if (out.fieldError === null) out.problem(param, `Invalid value for '${param}': expected ${expected}`, 'invalid_value');
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
