import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { jsonlObjects } from '../../src/util/jsonl.js';

describe('jsonlObjects', () => {
  it('yields the non-blank lines as objects with their 1-based line numbers', () => {
    expect([...jsonlObjects('{"a":1}\n\n  {"b":[2]}  \n', 'x.jsonl')]).toEqual([
      { row: { a: 1 }, line: 1 },
      { row: { b: [2] }, line: 3 },
    ]);
  });

  it('names the file and line of a line that is not a JSON object', () => {
    for (const [text, line, message] of [
      ['{"a":1}\n{"a":', 2, /^x\.jsonl, line 2: not valid JSON/],
      ['\n[1]', 2, /line 2: expected a JSON object/],
      ['null', 1, /line 1: expected a JSON object/],
    ] as const) {
      const e = (() => {
        try {
          [...jsonlObjects(text, 'x.jsonl')];
        } catch (x) {
          return x;
        }
      })();
      expect(e).toBeInstanceOf(FormatError);
      expect((e as FormatError).file).toBe('x.jsonl');
      expect((e as FormatError).line).toBe(line);
      expect((e as FormatError).message).toMatch(message);
    }
  });

  it('is lazy: a bad line throws only when the iteration reaches it', () => {
    const rows = jsonlObjects('{"a":1}\nnot json', 'x.jsonl');
    expect(rows.next().value).toEqual({ row: { a: 1 }, line: 1 });
    expect(() => rows.next()).toThrow(/line 2/);
  });
});
