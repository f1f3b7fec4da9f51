// densescale tokenize: ids per stdin line, streamed in batches; checked against Tokenizer.encode on the
// same lines (itself checked against HF in parity.node.test.ts), with in-memory streams.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main, tokenizeLines } from '../../src/cli/tokenize.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';

const DATA = resolve(import.meta.dirname, '../../../shared/data');
const vocab = readFileSync(`${DATA}/bert-base-uncased-vocab/vocab.txt`, 'utf8');
const queries = readFileSync(`${DATA}/squad11-dev-retrieval/queries.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l).text as string);

async function collect(stream: PassThrough): Promise<string> {
  let s = '';
  for await (const chunk of stream) s += chunk;
  return s;
}

describe('densescale tokenize', () => {
  it('writes one JSON id array per line, with or without [CLS]/[SEP] and truncation', async () => {
    const tok = await Tokenizer.fromVocab(vocab);
    const lines = [...queries.slice(0, 300), '', 'Crème brûlée\r'];
    for (const options of [{ addSpecialTokens: false }, { addSpecialTokens: true, maxLength: 8 }]) {
      const input = new PassThrough();
      const output = new PassThrough();
      const written = collect(output); // read while writing: the command waits for 'drain'
      const done = tokenizeLines(tok, input, output, options);
      input.end(lines.join('\r\n') + '\n');
      expect(await done).toBe(lines.length);
      output.end();
      const got = (await written).split('\n').slice(0, -1).map((l) => JSON.parse(l) as number[]);
      expect(got).toEqual(lines.map((l) => Array.from(tok.encode(l.replace(/\r$/, ''), options))));
    }
    tok.free();
  });

  it('streams: output for the first batch appears before the input ends', async () => {
    const tok = await Tokenizer.fromVocab(vocab);
    const input = new PassThrough();
    const output = new PassThrough();
    const done = tokenizeLines(tok, input, output, { addSpecialTokens: false });
    input.write(queries.slice(0, 2048).join('\n') + '\n'); // one full batch
    const first = await new Promise<string>((r) => output.once('data', (c: Buffer) => r(c.toString())));
    expect(first.split('\n')[0]).toBe(`[${Array.from(tok.encode(queries[0]!, { addSpecialTokens: false })).join(',')}]`);
    input.end('last line\n');
    expect(await done).toBe(2049);
    tok.free();
  });

  it('names the file when the vocabulary cannot be read, and refuses --cased with a tokenizer.json', async () => {
    await expect(main(['--vocab', '/nonexistent/vocab.txt'])).rejects.toThrow(/--vocab: cannot read "\/nonexistent\/vocab.txt" \(ENOENT\)/);
    await expect(main(['--vocab', `${DATA}/tokenizer-json-all-MiniLM-L6-v2/tokenizer.json`, '--cased'])).rejects.toThrow(/--cased/);
    await expect(main([])).rejects.toThrow(/--vocab is required/);
  });
});
