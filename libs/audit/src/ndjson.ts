import { createReadStream } from 'node:fs';

/**
 * One line of an NDJSON file of audit entries: the value's JSON and a line feed. U+2028 and U+2029, which
 * JSON leaves raw, are written escaped (the same value): line readers that take them for line breaks
 * (Node's readline since v22) would otherwise split an entry in two.
 */
export function ndjsonLine(value: unknown): string {
  return `${JSON.stringify(value).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')}\n`;
}

const LINE_FEED = 0x0a;

/**
 * A file's lines as its bytes hold them, split on line feeds alone, each without its line feed; a last
 * line without one comes with `cut`. Files written before U+2028 was escaped read right too.
 */
export async function* ndjsonByteLines(file: string): AsyncGenerator<{ line: Buffer; cut: boolean }> {
  let carry = Buffer.alloc(0);
  for await (const chunk of createReadStream(file)) {
    let bytes = Buffer.concat([carry, chunk as Buffer]);
    for (let end = bytes.indexOf(LINE_FEED); end !== -1; end = bytes.indexOf(LINE_FEED)) {
      yield { line: bytes.subarray(0, end), cut: false };
      bytes = bytes.subarray(end + 1);
    }
    carry = bytes;
  }
  if (carry.length > 0) yield { line: carry, cut: true };
}
