// Parsing a pushed JSON body (issue 11 case 13): a UTF-8 BOM at the start is ignored (RFC 8259 §8.1
// lets a parser do so), and a name given twice in one object is refused with its path instead of
// JSON.parse silently keeping the last one (`{"readings":[…],"readings":[]}` stored nothing, answered 200).

export type ParsedBody =
  | { ok: true; value: unknown }
  | { ok: false; error: string; field?: string };

/**
 * Keys in the text: every ':' outside a string. Only called on text JSON.parse accepted, so strings are
 * well formed and every such ':' separates a name from its value. indexOf jumps over string contents.
 */
function countKeyTokens(text: string): number {
  let n = 0;
  let i = 0;
  const len = text.length;
  while (i < len) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      let j = text.indexOf('"', i + 1);
      for (;;) {
        let k = j - 1;
        while (text.charCodeAt(k) === 92 /* \ */) k--;
        if (((j - 1 - k) & 1) === 0) break; // an even run of backslashes: the quote is not escaped
        j = text.indexOf('"', j + 1);
      }
      i = j + 1;
    } else {
      if (c === 58 /* : */) n++;
      i++;
    }
  }
  return n;
}

/** Own keys of every object in a parsed value; iterative, since a body may nest 100,000 levels. */
function countParsedKeys(value: unknown): number {
  let n = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (typeof x === 'object' && x !== null) stack.push(x);
      }
    } else {
      const o = v as Record<string, unknown>;
      for (const k in o) {
        n++;
        const x = o[k];
        if (typeof x === 'object' && x !== null) stack.push(x);
      }
    }
  }
  return n;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

interface Frame {
  keys: Set<string> | null; // null for an array
  key: string;
  index: number;
}

function pathOf(stack: readonly Frame[], last: string): string {
  let p = '';
  const seg = (key: string) => (IDENT.test(key) ? (p === '' ? key : `.${key}`) : `[${JSON.stringify(key.slice(0, 100))}]`);
  for (const f of stack.slice(0, -1)) p += f.keys === null ? `[${f.index}]` : seg(f.key);
  return p + seg(last);
}

/** The path of the first name given twice in one object, or null. The slow exact walk: errors only. */
export function findDuplicateKey(text: string): string | null {
  const stack: Frame[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 123 /* { */) {
      stack.push({ keys: new Set(), key: '', index: 0 });
      expectKey = true;
    } else if (c === 91 /* [ */) {
      stack.push({ keys: null, key: '', index: 0 });
      expectKey = false;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 44 /* , */) {
      const top = stack[stack.length - 1];
      if (top.keys === null) top.index++;
      else expectKey = true;
    } else if (c === 34 /* " */) {
      let j = text.indexOf('"', i + 1);
      for (;;) {
        let k = j - 1;
        while (text.charCodeAt(k) === 92) k--;
        if (((j - 1 - k) & 1) === 0) break;
        j = text.indexOf('"', j + 1);
      }
      const top = stack[stack.length - 1];
      if (expectKey && top !== undefined && top.keys !== null) {
        const raw = text.slice(i, j + 1);
        // `"power\u005fw"` is the name power_w: compare decoded names
        const key = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        if (top.keys.has(key)) return pathOf(stack, key);
        top.keys.add(key);
        top.key = key;
        expectKey = false;
      }
      i = j;
    }
  }
  return null;
}

/**
 * The body as JSON. The duplicate check costs one scan counting names in the text against the names
 * the parsed value holds (they differ only when a name was repeated); the exact walk that finds the
 * path runs only then. Measured alone on this 2-core box (best of 7, telemetry with RFC 3339 times):
 * 5 MB: JSON.parse 32 ms, name count 9 ms + parsed-key count 4 ms (ratio 1.40); 16 MB: 138 ms, 35 + 10 ms
 * (1.32). A state-machine loop over every character took twice the indexOf scan (17 and 90 ms).
 */
export function parseJsonBody(buf: Buffer): ParsedBody {
  const bom = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
  const text = buf.toString('utf8', bom ? 3 : 0);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `body: not valid JSON (${(e as Error).message})` };
  }
  if (typeof value === 'object' && value !== null && countKeyTokens(text) !== countParsedKeys(value)) {
    const field = findDuplicateKey(text);
    if (field !== null) return { ok: false, error: `${field}: duplicate key (a JSON object may name each field once)`, field };
  }
  return { ok: true, value };
}

/** Bodies up to this size are parsed in one go (a few ms at most). */
const ONE_GO_BYTES = 256 * 1024;
/** Text parsed between two yields to the event loop: about 1-2 ms of JSON.parse here. */
const SLICE_CHARS = 256 * 1024;

const WS = /[ \n\r\t]*/y;
/** what ingest answers for a body that is JSON but not an object */
export const NOT_A_PUSH = 'body: expected an object {"readings": [...]}';

/**
 * parseJsonBody without holding the event loop for a large body (issue 11 case 8: one 50,000-reading
 * push held /healthz for 1.7 s; JSON.parse of its 4.9 MiB alone takes 45 ms quiet and 115-160 ms on this
 * shared box). A body of the push's shape, `{"readings":[…]}`, is cut at the readings array's top-level
 * commas into slices of about 256 KiB, each parsed on its own with a yield between; the names are counted
 * per slice as in parseJsonBody. Anything else, and any slice that does not parse, goes through
 * parseJsonBody whole, so every error is the one JSON.parse gives for the whole body.
 */
export async function parseJsonBodyYielding(buf: Buffer): Promise<ParsedBody> {
  if (buf.length <= ONE_GO_BYTES) return parseJsonBody(buf);
  const bom = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
  const text = buf.toString('utf8', bom ? 3 : 0);
  const whole = () => parseJsonBody(buf);
  let i = 0;
  const len = text.length;
  // A sticky regex skips whitespace in the regex engine: a char loop here took 77 ms over a 15 MiB body of
  // spaces (the upload flood's filler), holding /healthz past 100 ms.
  const ws = () => {
    WS.lastIndex = i;
    WS.test(text);
    i = WS.lastIndex;
  };
  ws();
  // Not an object: no push, whatever else it is, so a large one is not parsed in one go to say so (a 15 MiB
  // body of spaces held the loop 120 ms in the upload-flood test). Whitespace alone is JSON.parse's
  // own error, as for a small body; anything else the shape error ingest gives a parsed non-object.
  if (i === len) return parseJsonBody(Buffer.alloc(0));
  if (text.charCodeAt(i) !== 123 /* { */) return { ok: false, error: NOT_A_PUSH };
  i++;
  ws();
  if (!text.startsWith('"readings"', i)) return whole();
  i += 10;
  ws();
  if (text.charCodeAt(i) !== 58 /* : */) return whole();
  i++;
  ws();
  if (text.charCodeAt(i) !== 91 /* [ */) return whole();
  i++;

  const readings: unknown[] = [];
  let sliceStart = i;
  let depth = 0;
  let names = 0;
  let closed = false;
  while (!closed) {
    // Scan to the first top-level comma past SLICE_CHARS, or to the array's end.
    const target = sliceStart + SLICE_CHARS;
    let cut = -1;
    while (i < len) {
      const c = text.charCodeAt(i);
      if (c === 34 /* " */) {
        let j = text.indexOf('"', i + 1);
        if (j < 0) return whole();
        for (;;) {
          let k = j - 1;
          while (text.charCodeAt(k) === 92) k--;
          if (((j - 1 - k) & 1) === 0) break;
          j = text.indexOf('"', j + 1);
          if (j < 0) return whole();
        }
        i = j + 1;
        continue;
      }
      if (c === 123 || c === 91) depth++;
      else if (c === 125 || c === 93) {
        if (depth === 0) {
          if (c !== 93) return whole();
          cut = i;
          closed = true;
          break;
        }
        depth--;
      } else if (c === 58) names++;
      else if (c === 44 && depth === 0 && i >= target) {
        cut = i;
        break;
      }
      i++;
    }
    if (cut < 0) return whole(); // the array never closes
    const sliceText = text.slice(sliceStart, cut);
    if (sliceText.trim() === '') {
      // `[]` has no readings; an empty slice anywhere else is `[a,]` or `[a,,b]`: whole() says why
      if (!(closed && readings.length === 0)) return whole();
    } else {
      let part: unknown[];
      try {
        part = JSON.parse(`[${sliceText}]`) as unknown[];
      } catch {
        return whole();
      }
      if (countParsedKeys(part) !== names) return whole(); // a name given twice: found with its path
      for (const r of part) readings.push(r);
    }
    names = 0;
    i = cut + 1;
    sliceStart = i;
    if (!closed) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  ws();
  if (text.charCodeAt(i) !== 125 /* } */) return whole(); // more fields: whole() names them
  i++;
  ws();
  if (i !== len) return whole();
  return { ok: true, value: { readings } };
}
