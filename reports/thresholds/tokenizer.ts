// Tokenizer for the threshold grammar (docs/thresholds.md). Hand-written rather than a regex
// split so that every token knows its column and an error can point at the exact character.

export type TokenKind = 'ident' | 'number' | 'string' | 'op' | 'eq' | 'lbrack' | 'rbrack' | 'dot' | 'comma' | 'eof';

export interface Token {
  kind: TokenKind;
  /** the source text of the token (for strings: the unquoted value) */
  text: string;
  /** numbers: the value (a trailing % already divided by 100) */
  value?: number;
  /** 1-based column of the token's first character */
  column: number;
}

/** A syntax error in one threshold; `column` is 1-based. */
export class ThresholdSyntaxError extends Error {
  readonly column: number;
  readonly source: string;
  constructor(source: string, column: number, message: string) {
    super(message);
    this.name = 'ThresholdSyntaxError';
    this.column = column;
    this.source = source;
  }
}

const OPS = ['<=', '>=', '==', '!=', '<', '>'];

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}
function isIdentPart(c: string): boolean {
  // '-' so that header names (x-litellm-overhead-duration-ms) and names like proxy-4 need no quotes
  return isIdentStart(c) || isDigit(c) || c === '-';
}
function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i];
    const column = i + 1;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '[') { tokens.push({ kind: 'lbrack', text: c, column }); i++; continue; }
    if (c === ']') { tokens.push({ kind: 'rbrack', text: c, column }); i++; continue; }
    if (c === ',') { tokens.push({ kind: 'comma', text: c, column }); i++; continue; }
    // `.5` is a number only where a value may start; after a name it is a path separator (failures.500)
    const prev = tokens.length > 0 ? tokens[tokens.length - 1].kind : 'eof';
    if (c === '.' && (!isDigit(src[i + 1] ?? '') || prev === 'ident' || prev === 'string' || prev === 'rbrack')) { tokens.push({ kind: 'dot', text: c, column }); i++; continue; }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op) {
      tokens.push({ kind: 'op', text: op, column });
      i += op.length;
      continue;
    }
    if (c === '=') { tokens.push({ kind: 'eq', text: c, column }); i++; continue; }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let value = '';
      while (j < n && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < n) j++;
        value += src[j];
        j++;
      }
      if (j >= n) throw new ThresholdSyntaxError(src, column, `unterminated string: missing closing ${c}`);
      tokens.push({ kind: 'string', text: value, column });
      i = j + 1;
      continue;
    }
    if (isDigit(c) || c === '.' || ((c === '-' || c === '+') && /[\d.]/.test(src[i + 1] ?? ''))) {
      const m = /^[-+]?(\d+(\.\d+)?|\.\d+)([eE][-+]?\d+)?/.exec(src.slice(i));
      if (!m) throw new ThresholdSyntaxError(src, column, `malformed number`);
      let text = m[0];
      let value = Number(text);
      if (src[i + text.length] === '%') {
        text += '%';
        value /= 100;
      }
      tokens.push({ kind: 'number', text, value, column });
      i += text.length;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(src[j])) j++;
      tokens.push({ kind: 'ident', text: src.slice(i, j), column });
      i = j;
      continue;
    }
    const hint = ':/+@'.includes(c) ? ' (quote a value like this: variant[latency="fixed:50"])' : '';
    throw new ThresholdSyntaxError(src, column, `unexpected character ${JSON.stringify(c)}${hint}`);
  }
  tokens.push({ kind: 'eof', text: '', column: n + 1 });
  return tokens;
}
