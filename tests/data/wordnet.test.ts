// wordnetRetrieval on a hand-written excerpt in the WordNet data-file format (portable). The real files
// are checked in wordnet.node.test.ts.
import { describe, expect, it } from 'vitest';
import { wordnetRetrieval, type WordNetFiles } from '../../src/data/wordnet.js';

const enc = new TextEncoder();
const LICENCE = '  1 This software and database is being provided to you, the LICENSEE, by  \n  2 Princeton University under the following license.  \n';

const files: WordNetFiles = {
  noun: enc.encode(
    LICENCE +
      '00001740 03 n 01 entity 0 003 ~ 00001930 n 0000 ~ 00002137 n 0000 ~ 04431553 n 0000 | that which is perceived or known or inferred to have its own distinct existence (living or nonliving)  \n' +
      '02406106 05 n 02 cow 0 moo-cow 0 002 @ 02405440 n 0000 ~ 02406432 n 0000 | female of domestic cattle: "`moo-cow\' is a child\'s term"  \n',
  ),
  verb: enc.encode(LICENCE + '00001740 29 v 04 breathe 0 take_a_breath 0 respire 0 suspire 3 000 | draw air into, and expel out of, the lungs; "I can breathe better when the air is clean"; "The patient is respiring"  \n'),
  adj: enc.encode(LICENCE + '00001740 00 a 01 able(a) 0 000 | (usually followed by `to\') having the necessary means or skill; "able to swim"; "she was able to program her computer"  \n'),
  adv: enc.encode(LICENCE),
};

describe('wordnetRetrieval (format excerpt)', () => {
  it('makes one passage per synset and one query per quoted example, removed from its passage', async () => {
    const data = await wordnetRetrieval(files, { seed: 0, testFraction: 0 });
    expect(Array.from({ length: data.passageCount }, (_, i) => [data.passageId(i), data.passageText(i)])).toEqual([
      ['n00001740', 'entity: that which is perceived or known or inferred to have its own distinct existence (living or nonliving)'],
      ['n02406106', 'cow, moo-cow: female of domestic cattle'],
      ['v00001740', 'breathe, take a breath, respire, suspire: draw air into, and expel out of, the lungs'],
      ['a00001740', "able: (usually followed by `to') having the necessary means or skill"],
    ]);
    expect(Array.from({ length: data.queryCount }, (_, i) => [data.queryId(i), data.queryText(i)])).toEqual([
      ['n02406106#1', "`moo-cow' is a child's term"],
      ['v00001740#1', 'I can breathe better when the air is clean'],
      ['v00001740#2', 'The patient is respiring'],
      ['a00001740#1', 'able to swim'],
      ['a00001740#2', 'she was able to program her computer'],
    ]);
    const { query, passage } = data.positives('train');
    expect(Array.from(query, (q) => data.passageId(passage[query.indexOf(q)]!) + '←' + data.queryId(q))).toEqual([
      'n02406106←n02406106#1', 'v00001740←v00001740#1', 'v00001740←v00001740#2', 'a00001740←a00001740#1', 'a00001740←a00001740#2',
    ]);
    expect(data.qrels('test').query.length).toBe(0);
  });

  it('puts whole synsets in test: with testFraction 1/3 one of the three synsets with examples', async () => {
    for (const seed of [0, 1, 2, 3]) {
      const data = await wordnetRetrieval(files, { seed, testFraction: 1 / 3 });
      const test = new Set(Array.from(data.positives('test').passage));
      const train = new Set(Array.from(data.positives('train').passage));
      expect(test.size).toBe(1);
      expect([...test].some((p) => train.has(p))).toBe(false);
      expect(data.positives('test').query.length + data.positives('train').query.length).toBe(5);
    }
  });

  it('rejects a malformed line with file and line', async () => {
    const bad = { ...files, verb: enc.encode(LICENCE + '00001740 29 v 04 breathe 0 000 | too few words\n') };
    await expect(wordnetRetrieval(bad)).rejects.toThrow(/data\.verb, line 3: bad synset header/);
    await expect(wordnetRetrieval(files, { testFraction: 2 })).rejects.toThrow(/testFraction/);
  });
});
