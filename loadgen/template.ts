// Request templates, compiled ONCE into a renderer: the body becomes precomputed Buffer
// pieces with slots for the per-request values, so a request costs one uuid, one
// allocation (or none: fixed-length bodies are rendered in place into a buffer the
// exchange reuses) and a few copies — no JSON.stringify, no string concatenation.
//
// Placeholders, in body strings, rawBody and header values:
//   {{uuid}}           the request id: one uuid per request, the same everywhere in it
//   {{seq}}            a per-run sequence number (0, 1, 2, …)
//   {{env.NAME}}       process.env.NAME at compile time ({{env.NAME:-default}} for a default)
//   {{repeat N "text"}} text repeated N times, expanded at compile time (the seed's ×150)
import { randomUUID } from 'node:crypto';
import { ERR_INVALID_CONFIG } from '../lib/errors.js';
import type { RequestTemplate } from './config.js';

const SLOT_UUID = 0;
const SLOT_SEQ = 1;
const REPEAT_RE = /\{\{repeat (\d+) "((?:[^"\\]|\\.)*)"\}\}/g;
const ENV_RE = /\{\{env\.([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}\}/g;
const SLOT_RE = /\{\{(uuid|seq)\}\}/g;

export interface CompiledTemplate {
  name: string;
  method: string;
  path: string;
  stream: boolean;
  weight: number;
  /** index of this template in the run (keys the exchanges' reusable buffers) */
  index: number;
  /** index of this template's name in the run's name table (several templates may share a name) */
  nameIndex: number;
  /** body length when it does not depend on {{seq}} (render in place), else -1 */
  fixedLength: number;
  hasBody: boolean;
  /** header values with slots: [name, pieces] pairs; static headers are in staticHeaders */
  staticHeaders: string[];
  dynamicHeaders: Array<{ name: string; parts: Array<string | number> }>;
  /** body pieces: Buffer (static) or slot number */
  pieces: Array<Buffer | number>;
  /** offsets of uuid slots in a fixed-length body (render in place) */
  uuidOffsets: number[];
}

function expandStatic(s: string, problems: string[], where: string): string {
  s = s.replace(REPEAT_RE, (_m, n: string, text: string) => {
    const times = Number(n);
    if (times > 1_000_000) problems.push(`${where}: repeat count ${n} is too large`);
    return text.replace(/\\(.)/g, '$1').repeat(Math.min(times, 1_000_000));
  });
  s = s.replace(ENV_RE, (_m, name: string, dflt: string | undefined) => {
    const v = process.env[name];
    if (v !== undefined && v !== '') return v;
    if (dflt !== undefined) return dflt;
    problems.push(`${where}: environment variable ${name} is not set (use {{env.${name}:-default}} for a default)`);
    return '';
  });
  const rest = /\{\{(?!uuid\}\}|seq\}\})[^}]*\}\}/.exec(s);
  if (rest) problems.push(`${where}: unknown placeholder ${rest[0]}`);
  return s;
}

function expandValue(v: unknown, problems: string[], where: string): unknown {
  if (typeof v === 'string') return expandStatic(v, problems, where);
  if (Array.isArray(v)) return v.map((x, i) => expandValue(x, problems, `${where}.${i}`));
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = expandValue(x, problems, `${where}.${k}`);
    return o;
  }
  return v;
}

/** Splits text on {{uuid}} / {{seq}} into static strings and slot numbers. */
function splitSlots(text: string): Array<string | number> {
  const parts: Array<string | number> = [];
  let last = 0;
  for (const m of text.matchAll(SLOT_RE)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push(m[1] === 'uuid' ? SLOT_UUID : SLOT_SEQ);
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

export function compileTemplates(templates: RequestTemplate[], prefix = 'templates'): { compiled: CompiledTemplate[]; names: string[] } {
  const problems: string[] = [];
  const names: string[] = [];
  const compiled = templates.map((t, i) => {
    const where = `${prefix}.${i}`;
    const text =
      t.rawBody !== undefined ? expandStatic(t.rawBody, problems, `${where}.rawBody`) : t.body !== undefined ? JSON.stringify(expandValue(t.body, problems, `${where}.body`)) : '';
    const parts = splitSlots(text);
    const pieces = parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p));
    const hasSeq = parts.includes(SLOT_SEQ);
    let fixedLength = -1;
    const uuidOffsets: number[] = [];
    if (!hasSeq) {
      let off = 0;
      for (const p of pieces) {
        if (typeof p === 'number') {
          uuidOffsets.push(off);
          off += 36;
        } else off += p.length;
      }
      fixedLength = off;
    }
    const staticHeaders: string[] = [];
    const dynamicHeaders: CompiledTemplate['dynamicHeaders'] = [];
    let hasContentType = false;
    for (const [k, v] of Object.entries(t.headers)) {
      const lower = k.toLowerCase();
      if (lower === 'content-type') hasContentType = true;
      const hp = splitSlots(expandStatic(v, problems, `${where}.headers.${k}`));
      if (hp.some((p) => typeof p === 'number')) dynamicHeaders.push({ name: lower, parts: hp });
      else staticHeaders.push(lower, hp.join(''));
    }
    if (text && !hasContentType) staticHeaders.push('content-type', t.rawBody !== undefined ? 'text/plain' : 'application/json');
    const name = t.name ?? t.path;
    let nameIndex = names.indexOf(name);
    if (nameIndex < 0) nameIndex = names.push(name) - 1;
    return {
      name,
      method: t.method,
      path: t.path,
      stream: t.stream,
      weight: t.weight,
      index: i,
      nameIndex,
      fixedLength,
      hasBody: text.length > 0,
      staticHeaders,
      dynamicHeaders,
      pieces,
      uuidOffsets,
    } satisfies CompiledTemplate;
  });
  if (problems.length) throw ERR_INVALID_CONFIG([prefix, String(problems.length)], problems);
  return { compiled, names };
}

/** Makes the template's body buffer for one request (a reusable one when fixed-length). */
export function newBodyBuffer(t: CompiledTemplate): Buffer | null {
  if (t.fixedLength < 0) return null;
  const buf = Buffer.allocUnsafe(t.fixedLength);
  let off = 0;
  for (const p of t.pieces) {
    if (typeof p === 'number') off += 36;
    else off += p.copy(buf, off);
  }
  return buf;
}

/** Renders the body: in place into `reuse` (fixed-length templates) or into a new Buffer. */
export function renderBody(t: CompiledTemplate, id: string, seq: number, reuse: Buffer | null): Buffer {
  if (reuse !== null) {
    const offs = t.uuidOffsets;
    for (let i = 0; i < offs.length; i++) reuse.write(id, offs[i], 36, 'latin1');
    return reuse;
  }
  const seqStr = String(seq);
  let len = 0;
  const pieces = t.pieces;
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i];
    len += typeof p === 'number' ? (p === SLOT_UUID ? 36 : seqStr.length) : p.length;
  }
  const buf = Buffer.allocUnsafe(len);
  let off = 0;
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i];
    if (typeof p !== 'number') off += p.copy(buf, off);
    else off += buf.write(p === SLOT_UUID ? id : seqStr, off, 'latin1');
  }
  return buf;
}

/** Header list for undici: static pairs, then rendered dynamic ones and x-request-id.
 * `reuse` (one per exchange and template) is overwritten in place: undici copies the
 * headers into the request's header string synchronously inside dispatch(). */
export function renderHeaders(t: CompiledTemplate, id: string, seq: number, idHeader: boolean, reuse?: string[]): string[] {
  if (t.dynamicHeaders.length === 0 && !idHeader) return t.staticHeaders;
  const out = reuse ?? t.staticHeaders.slice();
  let i = t.staticHeaders.length;
  for (const h of t.dynamicHeaders) {
    let v = '';
    for (const p of h.parts) v += typeof p === 'string' ? p : p === SLOT_UUID ? id : String(seq);
    out[i++] = h.name;
    out[i++] = v;
  }
  if (idHeader) {
    out[i++] = 'x-request-id';
    out[i++] = id;
  }
  return out;
}

export const newRequestId: () => string = () => randomUUID();

/** Weighted choice table: cumulative weights; a single template skips the random draw. */
export function makePicker(ts: CompiledTemplate[]): () => CompiledTemplate {
  if (ts.length === 1) {
    const only = ts[0];
    return () => only;
  }
  const cum: number[] = [];
  let total = 0;
  for (const t of ts) cum.push((total += t.weight));
  return () => {
    const r = Math.random() * total;
    for (let i = 0; i < cum.length; i++) if (r < cum[i]) return ts[i];
    return ts[ts.length - 1];
  };
}
