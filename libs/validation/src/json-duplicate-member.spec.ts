import { describe, expect, it } from 'vitest';

import { findDuplicateMember } from './json-duplicate-member.js';

/** The scan runs on text JSON.parse accepted: every case is checked to be JSON first. */
function scan(json: string): string[] | undefined {
  JSON.parse(json);
  return findDuplicateMember(json);
}

describe('findDuplicateMember', () => {
  it('finds nothing in JSON whose objects name each member once', () => {
    expect(scan('{"Data":{"Amount":"1.00","Currency":"GBP"},"Risk":{}}')).toBeUndefined();
    expect(scan('[1, "a", true, null, {"a": 1}, [], {}]')).toBeUndefined();
    expect(scan('"a"')).toBeUndefined();
    expect(scan('{}')).toBeUndefined();
  });

  it('finds a name given twice at the top level, and gives its path', () => {
    expect(scan('{"a":1,"b":2,"a":3}')).toEqual(['a']);
  });

  it('finds one deep in nested objects, naming the members that hold it', () => {
    expect(scan('{"Data":{"Initiation":{"InstructedAmount":{"Amount":"9000.00","Currency":"GBP","Amount":"3.00"}}}}')).toEqual([
      'Data',
      'Initiation',
      'InstructedAmount',
      'Amount',
    ]);
  });

  it('compares names after unescaping', () => {
    expect(scan('{"a":1,"\\u0061":2}')).toEqual(['a']);
    expect(scan('{"\\u00e9":1,"é":2}')).toEqual(['é']);
    expect(scan('{"a\\"b":1,"a\\u0022b":2}')).toEqual(['a"b']);
    expect(scan('{"\\\\":1,"\\u005c":2}')).toEqual(['\\']);
    expect(scan('{"a\\\\":1,"a\\\\\\\\":2}')).toBeUndefined();
    expect(scan('{"\\ud83d\\ude00":1,"😀":2}')).toEqual(['😀']);
  });

  it('lets sibling objects and nested objects reuse a name', () => {
    expect(scan('{"a":{"a":{"a":1}},"b":{"a":2},"c":[{"a":1},{"a":2}]}')).toBeUndefined();
    expect(scan('[{"a":1,"b":2},{"a":1,"b":2}]')).toBeUndefined();
  });

  it('finds one in an object inside an array, leaving the array out of the path', () => {
    expect(scan('{"Items":[{"a":1},{"a":2,"b":3,"a":4}]}')).toEqual(['Items', 'a']);
    expect(scan('[[{"x":1,"x":2}]]')).toEqual(['x']);
  });

  it('reads braces, brackets, commas, colons and quotes inside strings as text', () => {
    expect(scan('{"a":"{\\"a\\":1,","b":"}]","c":"[{","d":"\\\\","e":"\\\\\\"a\\":"}')).toBeUndefined();
    expect(scan('{"a":"\\",\\"a\\":","x":"}","a":1}')).toEqual(['a']);
    expect(scan('{"{\\"a\\"":1,"a":2}')).toBeUndefined();
  });

  it('tells a name from a string value that equals it', () => {
    expect(scan('{"a":"a","b":"a"}')).toBeUndefined();
    expect(scan('{"a":["a","a"],"b":{"a":"a"}}')).toBeUndefined();
  });

  it('keeps the names of an object across a nested one', () => {
    expect(scan('{"a":{"b":1,"c":[{"d":1}]},"a":2}')).toEqual(['a']);
    expect(scan('{"a":1,"n":{"x":{"y":[1,{"z":1}]}},"b":2,"n":3}')).toEqual(['n']);
  });

  it('finds one in an object of many members, before and after the first sixteen', () => {
    const members = (count: number) => Array.from({ length: count }, (_, i) => `"m${i}":${i}`).join(',');
    expect(scan(`{${members(100)}}`)).toBeUndefined();
    expect(scan(`{${members(10)},"m3":0}`)).toEqual(['m3']);
    expect(scan(`{${members(16)},"m15":0}`)).toEqual(['m15']);
    expect(scan(`{${members(17)},"m0":0}`)).toEqual(['m0']);
    expect(scan(`{${members(100)},"m99":0}`)).toEqual(['m99']);
    // A large object does not leave its names to the next object at its depth.
    expect(scan(`[{${members(40)}},{${members(40)}},{"m1":1,"m2":2}]`)).toBeUndefined();
    expect(scan(`[{${members(40)}},{"m1":1,"m1":2}]`)).toEqual(['m1']);
  });

  it('copes with whitespace wherever JSON allows it', () => {
    expect(scan(' \n{ "a" : 1 ,\t"b" : { "c" : 2 } ,\r\n "a" : 3 } ')).toEqual(['a']);
  });

  it('walks nesting far deeper than any call stack without recursion', () => {
    const depth = 100_000;
    const deep = `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`;
    expect(findDuplicateMember(deep)).toBeUndefined();
    expect(findDuplicateMember(`${'{"a":['.repeat(depth)}{"b":1,"b":2}${']}'.repeat(depth)}`)).toHaveLength(depth + 1);
  });
});
