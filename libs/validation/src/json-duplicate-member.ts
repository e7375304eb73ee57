const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

// OB objects have a handful of members: comparing with each is cheaper than hashing every name into a Set.
const FEW_NAMES = 16;

/** One nesting level of the scan: an array, or an object with the names it has given so far. */
class Level {
  isObject = false;
  /** The member whose value is being read. */
  current = '';
  private readonly few: string[] = [];
  private count = 0;
  private many?: Set<string>;
  private manyInUse = false;

  enter(isObject: boolean): void {
    this.isObject = isObject;
    this.count = 0;
    if (this.manyInUse) this.many!.clear();
    this.manyInUse = false;
  }

  /** Records `name` as the member being read; false if the object already gave it. */
  add(name: string): boolean {
    this.current = name;
    if (this.manyInUse) {
      if (this.many!.has(name)) return false;
      this.many!.add(name);
      return true;
    }
    for (let i = 0; i < this.count; i++) if (this.few[i] === name) return false;
    if (this.count < FEW_NAMES) {
      this.few[this.count++] = name;
      return true;
    }
    this.many ??= new Set();
    for (let i = 0; i < this.count; i++) this.many.add(this.few[i]!);
    this.many.add(name);
    this.manyInUse = true;
    return true;
  }
}

/** Whether the quote at `index` is escaped: an odd run of backslashes stands before it. */
function isEscapedQuote(json: string, index: number): boolean {
  let backslashes = 0;
  for (let i = index - 1; json.charCodeAt(i) === BACKSLASH; i--) backslashes++;
  return backslashes % 2 === 1;
}

/**
 * The first member name that `json` gives twice in one object, as the names leading to it (the members
 * holding the object, outermost first, then the name; array items are not counted), or undefined if
 * every object's names are unique. Names are compared after unescaping (`"a"` and `"\u0061"` are one
 * name), as RFC 8259 §8.3 compares them.
 *
 * `json` must be valid JSON (run this after JSON.parse accepted it): the scan only follows strings and
 * brackets. It is linear, never recurses, and allocates the name strings and one Level per nesting depth
 * (reused by sibling objects and arrays).
 */
export function findDuplicateMember(json: string): string[] | undefined {
  const levels: Level[] = [];
  let depth = -1;
  let expectName = false;
  for (let i = 0; i < json.length; i++) {
    const char = json.charCodeAt(i);
    if (char === QUOTE) {
      let close = json.indexOf('"', i + 1);
      while (isEscapedQuote(json, close)) close = json.indexOf('"', close + 1);
      if (expectName) {
        let name = json.slice(i + 1, close);
        if (name.includes('\\')) name = JSON.parse(json.slice(i, close + 1)) as string;
        if (!levels[depth]!.add(name)) return pathTo(levels, depth);
        expectName = false;
      }
      i = close;
    } else if (char === OPEN_OBJECT || char === OPEN_ARRAY) {
      depth++;
      expectName = char === OPEN_OBJECT;
      (levels[depth] ??= new Level()).enter(expectName);
    } else if (char === CLOSE_OBJECT || char === CLOSE_ARRAY) {
      depth--;
      expectName = false;
    } else if (char === COMMA) {
      expectName = levels[depth]!.isObject;
    }
  }
  return undefined;
}

function pathTo(levels: Level[], depth: number): string[] {
  const path: string[] = [];
  for (let level = 0; level <= depth; level++) if (levels[level]!.isObject) path.push(levels[level]!.current);
  return path;
}
