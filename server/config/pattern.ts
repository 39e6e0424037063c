// Id/address patterns of the compact (count) form: `A-01-{n:02}`, `127.0.0.1:{n+40000}`, `{rack}-env`.
// A pattern is compiled once per config entry and then expanded per number, so a 100,000-device site
// costs one regex pass per entry, not per device.

export type PatternVar = 'n' | 'r' | 'rack';

type Part = string | { v: 'n' | 'r'; offset: number; width: number } | { v: 'rack' };

export interface Pattern {
  parts: Part[];
  /** which placeholders occur, so callers can insist that a counted id actually varies */
  vars: Set<PatternVar>;
  /** the text when it has no placeholders (the common case outside counted entries) */
  literal: string | null;
}

export interface PatternContext {
  /** the entry's own number (device or rack count) */
  n?: number;
  /** the enclosing rack's number when the rack is counted */
  r?: number;
  rack?: string;
}

const PLACEHOLDER = /\{([^{}]*)\}/g;
const NUMERIC = /^([nr])(?:([+-])(\d+))?(?::(\d+))?$/;

/**
 * `{n}` the number, `{n:03}` zero-padded to width 3, `{n+40000}` with an offset (`{n-1}`, `{n+10:03}`),
 * `{r…}` the same for the enclosing rack's number, `{rack}` the enclosing rack's id.
 * Returns an error message for a placeholder it does not know.
 */
export function compilePattern(text: string): Pattern | string {
  const parts: Part[] = [];
  const vars = new Set<PatternVar>();
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    const body = m[1] ?? '';
    const at = m.index ?? 0;
    if (at > last) parts.push(text.slice(last, at));
    last = at + m[0].length;
    if (body === 'rack') {
      parts.push({ v: 'rack' });
      vars.add('rack');
      continue;
    }
    const num = NUMERIC.exec(body);
    if (num === null) return `unknown placeholder {${body}} (use {n}, {n:03}, {n+100}, {r}, {rack})`;
    const v = num[1] as 'n' | 'r';
    const offset = num[3] === undefined ? 0 : (num[2] === '-' ? -1 : 1) * Number(num[3]);
    const width = num[4] === undefined ? 0 : Number(num[4]);
    parts.push({ v, offset, width });
    vars.add(v);
  }
  if (last < text.length) parts.push(text.slice(last));
  // A stray brace that is not a placeholder is almost always a typo ({n:02 without its closer).
  const rest = text.replace(PLACEHOLDER, '');
  if (rest.includes('{') || rest.includes('}')) return 'unbalanced { } in pattern';
  return { parts, vars, literal: vars.size === 0 ? text : null };
}

/** Expands a pattern; a placeholder whose value the context lacks yields an empty string (callers check vars first). */
export function expandPattern(p: Pattern, ctx: PatternContext): string {
  if (p.literal !== null) return p.literal;
  let out = '';
  for (const part of p.parts) {
    if (typeof part === 'string') {
      out += part;
    } else if (part.v === 'rack') {
      out += ctx.rack ?? '';
    } else {
      const base = part.v === 'n' ? ctx.n : ctx.r;
      if (base === undefined) continue;
      const value = base + part.offset;
      out += part.width > 0 ? String(value).padStart(part.width, '0') : String(value);
    }
  }
  return out;
}
