// The per-message checks OpenAI makes on a chat body's `messages`, done while the body scanner
// walks the array anyway (body-scan.ts): each message is an object whose `role` is a known
// role, whose `content` is a string, an array of typed parts, or null where OpenAI allows it,
// a tool message names its `tool_call_id`, a function message its `name`. Keys and roles are
// compared as bytes, values skipped with memchr; strings (the param names, the messages) are
// only built for a body that fails.
import type { BodyScan } from './body-scan.js';
import { Kind, QUOTE, keyIs, kindAt, kindName, skipWs, stringEnd, stringValue, valueEnd } from './json-scan.js';

const enum Role {
  Missing = 0,
  Unknown = 1,
  System = 2,
  Developer = 3,
  User = 4,
  Assistant = 5,
  Tool = 6,
  Function = 7,
}

const ROLES = "'system', 'developer', 'user', 'assistant', 'tool' and 'function'";
const PART_TYPES = "'text', 'image_url', 'input_audio', 'file' and 'refusal'";

function roleAt(buf: Buffer, s: number, e: number): Role {
  switch (e - s - 2) {
    case 4:
      return keyIs(buf, s, e, 'user') ? Role.User : keyIs(buf, s, e, 'tool') ? Role.Tool : Role.Unknown;
    case 6:
      return keyIs(buf, s, e, 'system') ? Role.System : Role.Unknown;
    case 8:
      return keyIs(buf, s, e, 'function') ? Role.Function : Role.Unknown;
    case 9:
      return keyIs(buf, s, e, 'assistant') ? Role.Assistant : keyIs(buf, s, e, 'developer') ? Role.Developer : Role.Unknown;
    default:
      return Role.Unknown;
  }
}

function isPartType(buf: Buffer, s: number, e: number): boolean {
  switch (e - s - 2) {
    case 4:
      return keyIs(buf, s, e, 'text') || keyIs(buf, s, e, 'file');
    case 7:
      return keyIs(buf, s, e, 'refusal');
    case 9:
      return keyIs(buf, s, e, 'image_url');
    case 11:
      return keyIs(buf, s, e, 'input_audio');
    default:
      return false;
  }
}

const ROLE_NAMES = new Map<string, Role>([['system', Role.System], ['developer', Role.Developer], ['user', Role.User], ['assistant', Role.Assistant], ['tool', Role.Tool], ['function', Role.Function]]);
const PART_TYPE_NAMES = new Set(['text', 'image_url', 'input_audio', 'file', 'refusal']);

/** A string spelled with escapes ("us\u0065r") decoded, for a second look (error path only); else null. */
function escaped(buf: Buffer, s: number, e: number): string | null {
  const b = buf.indexOf(0x5c, s);
  return b >= 0 && b < e ? stringValue(buf, s, e) : null;
}

function shown(buf: Buffer, s: number, e: number): string {
  const v = stringValue(buf, s, e) ?? buf.toString('utf8', s + 1, e - 1);
  return v.length > 40 ? `${v.slice(0, 40)}…` : v;
}

// top-level (not closures in the checks): a valid message allocates nothing
const at = (n: number, member: string) => `messages[${n}].${member}`;
const missing = (out: BodyScan, param: string) => out.problem(param, `Missing required parameter: '${param}'.`, 'missing_required_parameter');
const wrongType = (out: BodyScan, param: string, expected: string, kind: Kind) =>
  out.problem(param, `Invalid type for '${param}': expected ${expected}, but got ${kindName(kind)} instead.`, 'invalid_type');
const emptyArray = (out: BodyScan, param: string) =>
  out.problem(param, `Invalid '${param}': empty array. Expected an array with minimum length 1, but got an empty array instead.`, 'empty_array');

/** `[` of `messages` at `i`: returns the index after the array, -1 (broken JSON) or TOO_DEEP. */
export function messagesEnd(buf: Buffer, i: number, out: BodyScan): number {
  let j = skipWs(buf, i + 1);
  if (buf[j] === 0x5d) {
    emptyArray(out, 'messages');
    return j + 1;
  }
  for (let n = 0; ; n++) {
    const kind = kindAt(buf[j]);
    if (kind === Kind.Object) j = messageEnd(buf, j, n, out);
    else {
      if (kind !== Kind.Missing && out.fieldError === null) wrongType(out, `messages[${n}]`, 'an object', kind);
      j = valueEnd(buf, j, kind);
    }
    if (j < 0) return j;
    j = skipWs(buf, j);
    if (buf[j] === 0x5d) return j + 1;
    if (buf[j] !== 0x2c) return -1;
    j = skipWs(buf, j + 1);
  }
}

/** One message object at `i` (n: its index). */
function messageEnd(buf: Buffer, i: number, n: number, out: BodyScan): number {
  let roleKind = Kind.Missing;
  let roleStart = 0;
  let roleEnd = 0;
  let content = Kind.Missing;
  let toolCallId = Kind.Missing;
  let name = Kind.Missing;
  // tool_calls / function_call / refusal stand in for an assistant's content
  let answered = false;
  let j = skipWs(buf, i + 1);
  if (buf[j] !== 0x7d) {
    for (;;) {
      if (buf[j] !== QUOTE) return -1;
      const ks = j;
      const ke = stringEnd(buf, j);
      if (ke < 0) return -1;
      j = skipWs(buf, ke);
      if (buf[j] !== 0x3a) return -1;
      j = skipWs(buf, j + 1);
      const kind = kindAt(buf[j]);
      const vs = j;
      const len = ke - ks - 2;
      const ve = len === 7 && kind === Kind.Array && keyIs(buf, ks, ke, 'content') ? partsEnd(buf, j, n, out) : valueEnd(buf, j, kind);
      if (ve < 0) return ve;
      switch (len) {
        case 4:
          if (keyIs(buf, ks, ke, 'role')) {
            roleKind = kind;
            roleStart = vs;
            roleEnd = ve;
          } else if (keyIs(buf, ks, ke, 'name')) name = kind;
          break;
        case 7:
          if (keyIs(buf, ks, ke, 'content')) content = kind;
          else if (keyIs(buf, ks, ke, 'refusal') && kind === Kind.String) answered = true;
          break;
        case 10:
          if (keyIs(buf, ks, ke, 'tool_calls') && kind === Kind.Array) answered = true;
          break;
        case 12:
          if (keyIs(buf, ks, ke, 'tool_call_id')) toolCallId = kind;
          break;
        case 13:
          if (keyIs(buf, ks, ke, 'function_call') && kind === Kind.Object) answered = true;
          break;
      }
      j = skipWs(buf, ve);
      if (buf[j] === 0x2c) {
        j = skipWs(buf, j + 1);
        continue;
      }
      if (buf[j] === 0x7d) break;
      return -1;
    }
  }
  if (out.fieldError === null) checkMessage(buf, n, out, roleKind, roleStart, roleEnd, content, toolCallId, name, answered);
  return j + 1;
}

function checkMessage(buf: Buffer, n: number, out: BodyScan, roleKind: Kind, rs: number, re: number, content: Kind, toolCallId: Kind, name: Kind, answered: boolean): void {
  if (roleKind === Kind.Missing) return missing(out, at(n, 'role'));
  if (roleKind !== Kind.String) return wrongType(out, at(n, 'role'), 'a string', roleKind);
  let role = roleAt(buf, rs, re);
  if (role === Role.Unknown) role = ROLE_NAMES.get(escaped(buf, rs, re) ?? '') ?? Role.Unknown;
  if (role === Role.Unknown) return out.problem(at(n, 'role'), `Invalid value for '${at(n, 'role')}': '${shown(buf, rs, re)}'. Supported values are: ${ROLES}.`, 'invalid_value');
  if (name !== Kind.Missing && name !== Kind.String && name !== Kind.Null) return wrongType(out, at(n, 'name'), 'a string', name);
  if (role === Role.Function && name !== Kind.String) return name === Kind.Missing ? missing(out, at(n, 'name')) : wrongType(out, at(n, 'name'), 'a string', name);
  switch (content) {
    case Kind.String:
    case Kind.Array:
      break;
    case Kind.Missing:
      if (!(role === Role.Assistant && answered)) return missing(out, at(n, 'content'));
      break;
    case Kind.Null:
      if (role === Role.Assistant || role === Role.Function) break;
      return wrongType(out, at(n, 'content'), 'a string or an array of content parts', content);
    default:
      return wrongType(out, at(n, 'content'), role === Role.Assistant || role === Role.Function ? 'a string, an array of content parts or null' : 'a string or an array of content parts', content);
  }
  if (role === Role.Tool && toolCallId !== Kind.String) return toolCallId === Kind.Missing ? missing(out, at(n, 'tool_call_id')) : wrongType(out, at(n, 'tool_call_id'), 'a string', toolCallId);
}

/** `[` of a message's content at `i`: each part an object with a known `type`. */
function partsEnd(buf: Buffer, i: number, n: number, out: BodyScan): number {
  let j = skipWs(buf, i + 1);
  if (buf[j] === 0x5d) {
    if (out.fieldError === null) emptyArray(out, `messages[${n}].content`);
    return j + 1;
  }
  for (let p = 0; ; p++) {
    const kind = kindAt(buf[j]);
    if (kind === Kind.Object) j = partEnd(buf, j, n, p, out);
    else {
      if (kind !== Kind.Missing && out.fieldError === null) wrongType(out, `messages[${n}].content[${p}]`, 'an object', kind);
      j = valueEnd(buf, j, kind);
    }
    if (j < 0) return j;
    j = skipWs(buf, j);
    if (buf[j] === 0x5d) return j + 1;
    if (buf[j] !== 0x2c) return -1;
    j = skipWs(buf, j + 1);
  }
}

function partEnd(buf: Buffer, i: number, n: number, p: number, out: BodyScan): number {
  let typeKind = Kind.Missing;
  let ts = 0;
  let te = 0;
  let j = skipWs(buf, i + 1);
  if (buf[j] !== 0x7d) {
    for (;;) {
      if (buf[j] !== QUOTE) return -1;
      const ks = j;
      const ke = stringEnd(buf, j);
      if (ke < 0) return -1;
      j = skipWs(buf, ke);
      if (buf[j] !== 0x3a) return -1;
      j = skipWs(buf, j + 1);
      const kind = kindAt(buf[j]);
      const ve = valueEnd(buf, j, kind);
      if (ve < 0) return ve;
      if (ke - ks - 2 === 4 && keyIs(buf, ks, ke, 'type')) {
        typeKind = kind;
        ts = j;
        te = ve;
      }
      j = skipWs(buf, ve);
      if (buf[j] === 0x2c) {
        j = skipWs(buf, j + 1);
        continue;
      }
      if (buf[j] === 0x7d) break;
      return -1;
    }
  }
  if (out.fieldError === null && !(typeKind === Kind.String && isPartType(buf, ts, te))) badPartType(buf, n, p, out, typeKind, ts, te);
  return j + 1;
}

function badPartType(buf: Buffer, n: number, p: number, out: BodyScan, typeKind: Kind, ts: number, te: number): void {
  const param = `messages[${n}].content[${p}].type`;
  if (typeKind === Kind.Missing) missing(out, param);
  else if (typeKind !== Kind.String) wrongType(out, param, 'a string', typeKind);
  else if (!PART_TYPE_NAMES.has(escaped(buf, ts, te) ?? '')) {
    out.problem(param, `Invalid value for '${param}': '${shown(buf, ts, te)}'. Supported values are: ${PART_TYPES}.`, 'invalid_value');
  }
}
