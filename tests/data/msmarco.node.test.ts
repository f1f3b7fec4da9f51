// MS MARCO-style TSV directories written to a temp dir and read back through nodeSource (fs streams):
// the column/header variants, gzip, and a collection large enough to cross the scanner's block size.
import { gzipSync } from 'fflate';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRetrievalData } from '../../src/data/load.js';
import { nodeSource } from '../../src/data/node.js';
import { mulberry32 } from '../helpers/rand.js';

const root = mkdtempSync(join(tmpdir(), 'densescale-msmarco-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dirs = 0;
function writeDir(files: Record<string, string | Uint8Array>): string {
  const dir = join(root, `d${dirs++}`);
  mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

/** A generated collection of `n` passages with MS MARCO's shape, and its lines for reference. */
function generate(n: number, seed: number): { text: string; lines: string[][] } {
  const r = mulberry32(seed);
  const vocab = ['the', 'of', 'retrieval', 'dense', 'passage', 'café', 'naïve', '北京', 'query', 'model', '"quoted"', 'a\\b'];
  const lines: string[][] = [];
  for (let i = 0; i < n; i++) {
    const words = Array.from({ length: 20 + Math.floor(r() * 80) }, () => vocab[Math.floor(r() * vocab.length)]);
    lines.push([String(i * 3 + 7), words.join(' ')]);
  }
  return { text: lines.map((l) => l.join('\t')).join('\n') + '\n', lines };
}

describe('MS MARCO TSV from disk', () => {
  const { text: collection, lines } = generate(12_000, 1); // ~5.5 MB: more than one 4 MiB scanner block
  const queries = 'qid\ttext\n1\tfirst query\n2\tsecond query\n3\tthird\n';

  it('streams a multi-block collection plain and gzipped, equal to a split() reference', async () => {
    const qrels = `1\t0\t${lines[0]![0]}\t1\n2\t0\t${lines[11_999]![0]}\t1\n3\t0\t${lines[6_000]![0]}\t1\n`;
    for (const gz of [false, true]) {
      const dir = writeDir(
        gz
          ? { 'collection.tsv.gz': gzipSync(new TextEncoder().encode(collection), { level: 1 }), 'queries.train.tsv.gz': gzipSync(new TextEncoder().encode(queries)), 'qrels.train.tsv.gz': gzipSync(new TextEncoder().encode(qrels)) }
          : { 'collection.tsv': collection, 'queries.train.tsv': queries, 'qrels.train.tsv': qrels },
      );
      const data = await loadRetrievalData(nodeSource(dir));
      expect(data.passageCount).toBe(lines.length);
      for (let i = 0; i < lines.length; i++) {
        if (data.passageId(i) !== lines[i]![0] || data.passageText(i) !== lines[i]![1]) {
          expect([data.passageId(i), data.passageText(i)], `passage ${i}`).toEqual(lines[i]);
        }
      }
      expect(data.passageTextBytes).toBe(new TextEncoder().encode(lines.map((l) => l[1]).join('')).length);
      const { query, passage } = data.positives('train');
      expect(Array.from(query, (q) => data.queryText(q))).toEqual(['first query', 'second query', 'third']);
      expect(Array.from(passage, (p) => data.passageId(p))).toEqual([lines[0]![0], lines[11_999]![0], lines[6_000]![0]]);
      const collectionReport = data.report.files[0]!;
      expect(collectionReport.bytes).toBe(new TextEncoder().encode(collection).length);
      expect(collectionReport.lines).toBe(12_000);
    }
  }, 60_000);

  it('2-column qrels with a header, 4-column TREC qrels without one', async () => {
    const small = '0\talpha\n1\tbeta\n2\tgamma\n';
    const two = await loadRetrievalData(nodeSource(writeDir({ 'collection.tsv': small, 'queries.dev.tsv': queries, 'qrels.dev.tsv': 'qid\tpid\n1\t2\n3\t0\n' })));
    expect(Array.from(two.positives('dev').passage, (p) => two.passageText(p))).toEqual(['gamma', 'alpha']);
    const four = await loadRetrievalData(nodeSource(writeDir({ 'collection.tsv': small, 'queries.dev.tsv': queries, 'qrels.dev.tsv': '1 0 2 1\n3 0 0 1\n2 0 1 0\n' })));
    expect(Array.from(four.positives('dev').passage, (p) => four.passageText(p))).toEqual(['gamma', 'alpha']);
    expect(four.qrels('dev').query.length).toBe(3);
  });

  it('a truncated .gz file is a FormatError naming the file', async () => {
    const whole = gzipSync(new TextEncoder().encode(collection.slice(0, 100_000)));
    const dir = writeDir({ 'collection.tsv.gz': whole.subarray(0, whole.length - 100), 'queries.train.tsv': queries, 'qrels.train.tsv': '1\t7\n' });
    await expect(loadRetrievalData(nodeSource(dir))).rejects.toThrow(/collection\.tsv\.gz.*(truncated|corrupt)/);
  });
});
