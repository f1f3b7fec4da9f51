// The real BEIR-format collections in ../shared/data: counts against their SOURCE.md, and every text
// against JSON.parse of the same line (an independent parser).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRetrievalData } from '../../src/data/load.js';
import { nodeSource } from '../../src/data/node.js';
import type { RetrievalData } from '../../src/data/retrieval.js';

const DATA = join(import.meta.dirname, '..', '..', '..', 'shared', 'data');

interface Expected {
  passages: number;
  queries: number;
  /** Judgements per split, and how many have score > 0. */
  qrels: Record<string, { lines: number; positives: number; queries?: number }>;
}

// From each folder's SOURCE.md.
const EXPECTED: Record<string, Expected> = {
  'squad11-dev-retrieval': { passages: 2067, queries: 10570, qrels: { train: { lines: 8595, positives: 8595 }, test: { lines: 1975, positives: 1975 } } },
  cmrc2018: { passages: 1104, queries: 4221, qrels: { train: { lines: 3219, positives: 3219 }, test: { lines: 1002, positives: 1002 } } },
  cranfield: { passages: 1400, queries: 225, qrels: { test: { lines: 1837, positives: 1612, queries: 225 } } },
  cisi: { passages: 1460, queries: 112, qrels: { test: { lines: 3114, positives: 3114, queries: 76 } } },
  'npl-vaswani': { passages: 11429, queries: 93, qrels: { test: { lines: 2083, positives: 2083, queries: 93 } } },
};

function jsonLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function checkAgainstJsonParse(dir: string, data: RetrievalData): void {
  const corpus = jsonLines(join(dir, 'corpus.jsonl'));
  corpus.forEach((doc, i) => {
    expect(data.passage(i)).toEqual({ id: String(doc._id), title: (doc.title as string | undefined) ?? '', text: doc.text });
  });
  const queries = jsonLines(join(dir, 'queries.jsonl'));
  queries.forEach((q, i) => {
    expect(data.queryId(i)).toBe(String(q._id));
    expect(data.queryText(i)).toBe(q.text);
  });
}

describe('BEIR collections in ../shared/data', () => {
  for (const [name, want] of Object.entries(EXPECTED)) {
    it(`${name}: counts match SOURCE.md and every text matches JSON.parse`, async () => {
      const dir = join(DATA, name);
      const data = await loadRetrievalData(nodeSource(dir));
      expect(data.passageCount).toBe(want.passages);
      expect(data.queryCount).toBe(want.queries);
      expect(data.splits.sort()).toEqual(Object.keys(want.qrels).sort());
      for (const [split, w] of Object.entries(want.qrels)) {
        expect(data.qrels(split).query.length, split).toBe(w.lines);
        const positives = data.positives(split);
        expect(positives.query.length, split).toBe(w.positives);
        if (w.queries !== undefined) expect(new Set(data.qrels(split).query).size, split).toBe(w.queries);
      }
      expect(Object.values(data.report.skipped).every((n) => n === 0)).toBe(true);
      checkAgainstJsonParse(dir, data);
    }, 60_000);
  }

  it('cranfield: graded scores as documented (4:128, 3:387, 2:734, 1:363, 0:225), empty docs 471 and 995 kept', async () => {
    const data = await loadRetrievalData(nodeSource(join(DATA, 'cranfield')));
    const histogram = new Map<number, number>();
    for (const s of data.qrels('test').score) histogram.set(s, (histogram.get(s) ?? 0) + 1);
    expect(Object.fromEntries(histogram)).toEqual({ 4: 128, 3: 387, 2: 734, 1: 363, 0: 225 });
    expect(data.report.nonPositiveQrels).toBe(225);
    expect(data.passage(data.passageIndex('471')).text).toBe('');
    expect(data.passage(data.passageIndex('995')).text).toBe('');
  });

  it('squad: the split option loads one split; train and test share no passage', async () => {
    const dir = join(DATA, 'squad11-dev-retrieval');
    const test = await loadRetrievalData(nodeSource(dir), { split: 'test' });
    expect(test.splits).toEqual(['test']);
    const all = await loadRetrievalData(nodeSource(dir));
    const trainPassages = new Set(all.positives('train').passage);
    expect(all.positives('test').passage.some((p) => trainPassages.has(p))).toBe(false);
  });
});
