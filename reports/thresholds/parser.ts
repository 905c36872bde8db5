// Recursive-descent parser for one threshold (grammar in docs/thresholds.md). No eval, no
// regex soup: each rule is a function, and every error carries the column it points at.
import { checkMetric } from './metrics.js';
import { ThresholdSyntaxError, tokenize, type Token } from './tokenizer.js';

export type Op = '<' | '<=' | '>' | '>=' | '==' | '!=';

export type Selector =
  | { kind: 'all' }
  | { kind: 'name'; name: string }
  | { kind: 'settings'; match: { key: string; value: string }[] };

export interface Threshold {
  /** the text as written, for messages */
  source: string;
  selector: Selector;
  /** the metric's path, e.g. ['latency_ms', 'p99'] */
  metric: string[];
  op: Op;
  limit: number;
}

const OP_LIST = '<, <=, >, >=, ==, !=';

function describe(t: Token): string {
  if (t.kind === 'eof') return 'the end';
  if (t.kind === 'string') return JSON.stringify(t.text);
  return `"${t.text}"`;
}

class Parser {
  private pos = 0;
  constructor(private readonly src: string, private readonly tokens: Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)];
  }
  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.pos++;
    return t;
  }
  private fail(t: Token, message: string): never {
    throw new ThresholdSyntaxError(this.src, t.column, message);
  }

  threshold(): Threshold {
    if (this.peek().kind === 'eof') this.fail(this.peek(), `empty threshold: expected something like latency_ms.p99 < 250`);
    let selector: Selector = { kind: 'all' };
    if (this.peek().kind === 'ident' && this.peek().text === 'variant' && this.peek(1).kind === 'lbrack') {
      selector = this.selector();
      const dot = this.next();
      if (dot.kind !== 'dot') this.fail(dot, `expected "." and a metric after the selector, found ${describe(dot)}`);
    }
    const metric = this.metric();
    const opTok = this.next();
    if (opTok.kind !== 'op') {
      const hint = opTok.kind === 'eq' ? ' (use == to compare)' : '';
      this.fail(opTok, `expected an operator (${OP_LIST}) after ${metric.join('.')}, found ${describe(opTok)}${hint}`);
    }
    const limitTok = this.next();
    if (limitTok.kind !== 'number') this.fail(limitTok, `expected a number after ${opTok.text}, found ${describe(limitTok)}`);
    const end = this.next();
    if (end.kind !== 'eof') {
      const hint = end.kind === 'ident' && end.column === limitTok.column + limitTok.text.length
        ? ' (limits are plain numbers in the metric\'s own unit: latency_ms.p99 < 250, not 250ms)'
        : '';
      this.fail(end, `unexpected ${describe(end)} after the limit${hint}`);
    }
    return { source: this.src.trim(), selector, metric, op: opTok.text as Op, limit: limitTok.value as number };
  }

  private selector(): Selector {
    this.next(); // 'variant'
    this.next(); // '['
    const first = this.peek();
    if (first.kind === 'string') {
      this.next();
      this.closeBracket();
      return { kind: 'name', name: first.text };
    }
    const match: { key: string; value: string }[] = [];
    for (;;) {
      const key = this.next();
      if (key.kind !== 'ident') this.fail(key, `expected a setting name (instances=4) or a quoted variant name ("name") in the selector, found ${describe(key)}`);
      const eq = this.next();
      if (eq.kind !== 'eq') this.fail(eq, `expected "=" after ${key.text} in the selector, found ${describe(eq)}`);
      const value = this.next();
      if (value.kind !== 'ident' && value.kind !== 'number' && value.kind !== 'string') {
        this.fail(value, `expected a value after ${key.text}=, found ${describe(value)}`);
      }
      if (match.some((m) => m.key === key.text)) this.fail(key, `${key.text} appears twice in the selector`);
      match.push({ key: key.text, value: value.text });
      const sep = this.peek();
      if (sep.kind === 'comma') {
        this.next();
        continue;
      }
      this.closeBracket();
      return { kind: 'settings', match };
    }
  }

  private closeBracket(): void {
    const t = this.next();
    if (t.kind !== 'rbrack') this.fail(t, `expected "]" to close the selector, found ${describe(t)}`);
  }

  private metric(): string[] {
    const first = this.next();
    if (first.kind !== 'ident') this.fail(first, `expected a metric name (like latency_ms.p99), found ${describe(first)}`);
    const path = [first.text];
    const columns = [first.column];
    while (this.peek().kind === 'dot') {
      this.next();
      const seg = this.next();
      // numbers and strings are allowed after a dot for failures.500 and failures."ECONNRESET"
      if (seg.kind !== 'ident' && seg.kind !== 'number' && seg.kind !== 'string') {
        this.fail(seg, `expected a field name after "${path.join('.')}.", found ${describe(seg)}`);
      }
      path.push(seg.text);
      columns.push(seg.column);
    }
    const problem = checkMetric(path);
    if (problem) throw new ThresholdSyntaxError(this.src, columns[problem.segment] ?? first.column, problem.message);
    return path;
  }
}

/** Parses one threshold; throws ThresholdSyntaxError (with a 1-based column) when it is not valid. */
export function parseThreshold(text: string): Threshold {
  return new Parser(text, tokenize(text)).threshold();
}

/** The threshold's metric with its selector, as a person would write it. */
export function selectorText(s: Selector): string {
  if (s.kind === 'all') return '';
  if (s.kind === 'name') return `variant[${JSON.stringify(s.name)}]`;
  return `variant[${s.match.map((m) => `${m.key}=${m.value}`).join(',')}]`;
}
