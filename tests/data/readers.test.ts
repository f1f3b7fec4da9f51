// Readers on in-memory sources (portable: runs in Node and in Chromium). References: JSON.parse for
// JSONL, String.split for TSV, fflate's gzipSync for the compressed variants.
import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ConfigError, FormatError } from '../../src/errors.js';
import { loadRetrievalData } from '../../src/data/load.js';
import { DataFormatError, type DataErrorKind } from '../../src/data/report.js';
import { memorySource } from '../../src/data/source.js';
import { mulberry32 } from '../helpers/rand.js';

const enc = new TextEncoder();
const gz = (text: string | Uint8Array) => gzipSync(typeof text === 'string' ? enc.encode(text) : text);
/** What a JS string becomes after UTF-8 encoding (lone surrogates → U+FFFD). */
const utf8RoundTrip = (s: string) => new TextDecoder().decode(enc.encode(s));

async function expectFormatError(
  promise: Promise<unknown>,
  want: { kind: DataErrorKind; file: string; line?: number; field?: string; message?: RegExp },
): Promise<void> {
  const e = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e, `expected a FormatError of kind ${want.kind}`).toBeInstanceOf(FormatError);
  const f = e as DataFormatError;
  expect(f.kind).toBe(want.kind);
  expect(f.file).toBe(want.file);
  expect(f.line).toBe(want.line);
  expect(f.field).toBe(want.field);
  if (want.message) expect(f.message).toMatch(want.message);
}

describe('BEIR JSONL', () => {
  const corpus = [
    '\ufeff{"_id": "d1", "title": "Café", "text": "naïve \\"quoted\\" text\\twith tab", "metadata": {"url": "x}{\\"", "n": [1, {"a": null}]}}',
    '{"text": "id comes last \\ud83d\\ude80 and \\u00e9", "_id": "d2", "title": ""}',
    '',
    '{"_id": 3, "title": "numeric id", "text": "北京 \\/ slash"}\r',
    '  {  "_id" : "d4" , "text" : "" }  ',
  ].join('\n');
  const queries = '{"_id": "q1", "text": "what café?", "metadata": {}}\n{"_id": "q2", "text": "rocket \\ud83d\\ude80"}\n';
  const qrels = 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t2\nq2\t3\t0\n';
  const files = { 'corpus.jsonl': corpus, 'queries.jsonl': queries, 'qrels/test.tsv': qrels, 'qrels/train.tsv': 'query-id\tcorpus-id\tscore\nq1\td4\t1\n' };

  it('decodes escapes, surrogate pairs, numeric ids, titles, and skips nested metadata, as JSON.parse does', async () => {
    const data = await loadRetrievalData(memorySource(files));
    const want = corpus
      .replace('\ufeff', '')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { _id: string | number; title?: string; text: string });
    expect(data.passageCount).toBe(want.length);
    want.forEach((w, i) => {
      expect(data.passage(i)).toEqual({ id: String(w._id), title: w.title ?? '', text: w.text });
      expect(data.passageText(i)).toBe(w.title ? `${w.title} ${w.text}` : w.text);
    });
    expect(data.queryText(data.queryIndex('q2'))).toBe('rocket 🚀');
    expect(data.splits.sort()).toEqual(['test', 'train']);
    const q = data.qrels('test');
    expect(Array.from(q.score)).toEqual([1, 2, 0]);
    expect(data.passageId(q.passage[2]!)).toBe('3');
    expect(data.positives('test').query.length).toBe(2);
    expect(data.report.nonPositiveQrels).toBe(1);
    expect(data.report.blankLines).toBe(1);
    expect(data.report.files.map((f) => [f.path, f.records, f.header])).toEqual([
      ['corpus.jsonl', 4, false],
      ['queries.jsonl', 2, false],
      ['qrels/test.tsv', 3, true],
      ['qrels/train.tsv', 1, true],
    ]);
  });

  it('agrees with JSON.parse on 400 random objects with escaped, astral and lone-surrogate strings', async () => {
    const r = mulberry32(5);
    const pieces = ['a', ' ', '"', '\\', '/', '\n', '\t', '\u0001', 'é', '中', '🚀', '\ud83d', '\ude80', '{', '}', '[', ']', ',', ':'];
    const randomString = () => Array.from({ length: Math.floor(r() * 12) }, () => pieces[Math.floor(r() * pieces.length)]).join('');
    // JSON.stringify escapes quotes, backslashes and controls; \u-escape some other characters too.
    // A raw lone surrogate cannot occur in a UTF-8 file, so those are always escaped.
    const escapeSome = (json: string) =>
      json.replace(/[^\x00-\x7f]/gu, (c) => {
        const lone = c.length === 1 && c.charCodeAt(0) >= 0xd800 && c.charCodeAt(0) <= 0xdfff;
        if (!lone && r() < 0.5) return c;
        return Array.from({ length: c.length }, (_, k) => `\\u${c.charCodeAt(k).toString(16).padStart(4, '0')}`).join('');
      });
    const lines: string[] = [];
    const want: { id: string; title: string; text: string }[] = [];
    for (let i = 0; i < 400; i++) {
      const obj: Record<string, unknown> = { _id: `id${i}-${randomString()}`, text: randomString() };
      if (r() < 0.5) obj.title = randomString();
      if (r() < 0.5) obj.metadata = { nested: [randomString(), { deeper: randomString() }], n: -1.5e3, t: true, f: false, z: null };
      const keys = Object.keys(obj).sort(() => r() - 0.5);
      const line = `{${keys.map((k) => `${JSON.stringify(k)}:${escapeSome(JSON.stringify(obj[k]))}`).join(r() < 0.5 ? ',' : ' , ')}}`;
      const parsed = JSON.parse(line) as { _id: string; title?: string; text: string };
      lines.push(line);
      want.push({ id: utf8RoundTrip(parsed._id), title: utf8RoundTrip(parsed.title ?? ''), text: utf8RoundTrip(parsed.text) });
    }
    const data = await loadRetrievalData(
      memorySource({ 'corpus.jsonl': `${lines.join('\n')}\n{"_id":"fixed","text":"f"}`, 'queries.jsonl': '{"_id":"q","text":"x"}', 'qrels/test.tsv': 'q\tfixed\t1\n' }),
    );
    expect(data.passageCount).toBe(401);
    want.forEach((w, i) => expect(data.passage(i), `line ${i + 1}: ${lines[i]}`).toEqual(w));
  });

  it('names file, line and field for each kind of bad input', async () => {
    const load = (patch: Record<string, string | Uint8Array>) => loadRetrievalData(memorySource({ ...files, ...patch }));
    await expectFormatError(load({ 'corpus.jsonl': '{"_id": "a", "text": "ok"}\n{"_id": "b", "text": "no end}\n' }), {
      kind: 'malformed', file: 'memory/corpus.jsonl', line: 2, field: 'text', message: /unterminated/,
    });
    await expectFormatError(load({ 'corpus.jsonl': '{"_id": "a", "text": "ok"}\n{"_id": "b" "text": "x"}\n' }), {
      kind: 'malformed', file: 'memory/corpus.jsonl', line: 2, message: /syntax error at byte 13/,
    });
    await expectFormatError(load({ 'corpus.jsonl': '{"_id": "a", "text": "bad \\x escape"}\n' }), {
      kind: 'malformed', file: 'memory/corpus.jsonl', line: 1, field: 'text', message: /escape/,
    });
    await expectFormatError(load({ 'corpus.jsonl': '["not", "an", "object"]\n' }), { kind: 'malformed', file: 'memory/corpus.jsonl', line: 1 });
    await expectFormatError(load({ 'corpus.jsonl': '{"_id": "a", "text": ["list"]}\n' }), {
      kind: 'malformed', file: 'memory/corpus.jsonl', line: 1, field: 'text', message: /string or a number/,
    });
    await expectFormatError(load({ 'corpus.jsonl': '{"_id": "a", "text": "x"} trailing\n' }), { kind: 'malformed', file: 'memory/corpus.jsonl', line: 1 });
    await expectFormatError(load({ 'corpus.jsonl': '{"_id": "a", "title": "t"}\n' }), { kind: 'missingField', file: 'memory/corpus.jsonl', line: 1, field: 'text' });
    await expectFormatError(load({ 'queries.jsonl': '{"text": "t"}\n' }), { kind: 'missingField', file: 'memory/queries.jsonl', line: 1, field: '_id' });
    const badUtf8 = new Uint8Array([...enc.encode('{"_id": "a", "text": "ok"}\n{"_id": "b", "text": "caf'), 0xc3, 0x28, ...enc.encode('"}\n')]);
    await expectFormatError(load({ 'corpus.jsonl': badUtf8 }), { kind: 'invalidUtf8', file: 'memory/corpus.jsonl', line: 2, field: 'text', message: /byte 26/ });
    await expectFormatError(load({ 'corpus.jsonl': '{"_id": "a", "text": "x"}\n{"_id": "a", "text": "y"}\n' }), {
      kind: 'duplicateId', file: 'memory/corpus.jsonl', line: 2, field: '_id',
    });
    await expectFormatError(load({ 'qrels/test.tsv': 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq9\td1\t1\n' }), {
      kind: 'unknownQuery', file: 'memory/qrels/test.tsv', line: 3, field: 'query-id', message: /"q9"/,
    });
    await expectFormatError(load({ 'qrels/test.tsv': 'query-id\tcorpus-id\tscore\nq1\tzz\t1\n' }), {
      kind: 'unknownPassage', file: 'memory/qrels/test.tsv', line: 2, field: 'corpus-id', message: /"zz"/,
    });
    await expectFormatError(load({ 'qrels/test.tsv': 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td1\t2\n' }), {
      kind: 'duplicateQrel', file: 'memory/qrels/test.tsv', line: 3,
    });
    await expectFormatError(load({ 'qrels/test.tsv': 'query-id\tcorpus-id\tscore\nq1\td1\thigh\n' }), {
      kind: 'malformed', file: 'memory/qrels/test.tsv', line: 2, field: 'score',
    });
    await expectFormatError(load({ 'qrels/test.tsv': 'q1\td1\t1\nq2\td2\n' }), { kind: 'malformed', file: 'memory/qrels/test.tsv', line: 2 });
    await expectFormatError(load({ 'queries.jsonl': '\n  \n' }), { kind: 'emptyFile', file: 'memory/queries.jsonl' });
  });

  it('with onError "skip", keeps every good record and counts each skipped one by kind', async () => {
    const corpusWithProblems = [
      '{"_id": "d1", "text": "one"}',
      '{"_id": "d2", "text": "two"', // unterminated
      '{"_id": "d3"}', // no text
      '{"_id": "d1", "text": "again"}', // duplicate
      '{"_id": "d4", "text": "four"}',
    ].join('\n');
    const data = await loadRetrievalData(
      memorySource({
        'corpus.jsonl': corpusWithProblems,
        'queries.jsonl': queries,
        'qrels/test.tsv': 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t1\nq7\td4\t1\nq2\td4\t1\nq2\td4\t1\n',
      }),
      { onError: 'skip' },
    );
    expect(Array.from({ length: data.passageCount }, (_, i) => data.passageId(i))).toEqual(['d1', 'd4']);
    expect(data.report.skipped).toEqual({
      malformed: 1, invalidUtf8: 0, missingField: 1, duplicateId: 1, unknownQuery: 1, unknownPassage: 1, duplicateQrel: 1, emptyFile: 0,
    });
    expect(data.report.examples.map((e) => [e.kind, e.line])).toEqual([
      ['malformed', 2], ['missingField', 3], ['duplicateId', 4], ['unknownPassage', 3], ['unknownQuery', 4], ['duplicateQrel', 6],
    ]);
    expect(data.qrels('test').query.length).toBe(2);
  });
});

describe('MS MARCO and T2Ranking TSV', () => {
  const collection = '0\tThe presence of communication amid scientific minds\n1\tManhattan Project\n2\tcafé — 北京\n';
  const queriesTrain = '100\twhat was the manhattan project\n101\twhere is beijing\n';
  const queriesDev = '200\tcommunication\n';

  it('reads 2- and 4-column qrels, with or without headers, tab- or space-separated, plain or gzipped', async () => {
    const variants: Record<string, string>[] = [
      { 'qrels.train.tsv': '100\t1\n101\t2\n', 'qrels.dev.tsv': '200\t0\n' },
      { 'qrels.train.tsv': '100\t0\t1\t1\n101\t0\t2\t1\n', 'qrels.dev.tsv': '200\t0\t0\t1\n' },
      { 'qrels.train.tsv': 'qid\tpid\n100\t1\n101\t2\n', 'qrels.dev.tsv': 'qid\tpid\n200\t0\n' },
      { 'qrels.train.tsv': 'qid iter pid rel\n100 0 1 1\n101 Q0 2 1\n', 'qrels.dev.tsv': '200 0 0 1\n' },
      { 'qrels.train.tsv': '100 1 1\r\n101 2 3\r\n', 'qrels.dev.tsv': '200\t0\t1\r\n' },
      { 'qrels.train.tsv': 'qid\tpid\n100\t0\t1\t1\n101\t0\t2\t1\n', 'qrels.dev.tsv': '200\t0\t0\t1\n' }, // a header narrower than the data
    ];
    for (const [v, qrels] of variants.entries()) {
      for (const compressed of [false, true]) {
        const files: Record<string, string | Uint8Array> = { 'collection.tsv': collection, 'queries.train.tsv': queriesTrain, 'queries.dev.tsv': queriesDev, ...qrels };
        const source = compressed ? Object.fromEntries(Object.entries(files).map(([k, t]) => [`${k}.gz`, gz(t as string)])) : files;
        const data = await loadRetrievalData(memorySource(source));
        const what = `variant ${v}${compressed ? ' (gz)' : ''}`;
        expect(data.passageCount, what).toBe(3);
        expect(data.passageText(2), what).toBe('café — 北京');
        expect(data.queryCount, what).toBe(3);
        const train = data.positives('train');
        expect(Array.from(train.query, (q) => data.queryId(q)), what).toEqual(['100', '101']);
        expect(Array.from(train.passage, (p) => data.passageId(p)), what).toEqual(['1', '2']);
        expect(Array.from(data.positives('dev').passage, (p) => data.passageId(p)), what).toEqual(['0']);
        expect(data.report.files.find((f) => f.path.startsWith('qrels.train'))!.header, what).toBe(v === 2 || v === 3 || v === 5);
      }
    }
  });

  it('loads only the requested split, merges queries repeated across split files, handles dotted split names', async () => {
    const files = {
      'collection.tsv': collection,
      'queries.train.tsv': queriesTrain,
      'queries.dev.tsv': '200\tcommunication\n201\tproject\n',
      'queries.dev.small.tsv': '200\tcommunication\n',
      'qrels.train.tsv': '100\t0\t1\t1\n',
      'qrels.dev.tsv': '200\t0\t0\t1\n201\t0\t1\t1\n',
      'qrels.dev.small.tsv': '200\t0\t0\t1\n',
    };
    const small = await loadRetrievalData(memorySource(files), { split: 'dev.small' });
    expect(small.splits).toEqual(['dev.small']);
    expect(small.queryCount).toBe(1);
    const all = await loadRetrievalData(memorySource(files));
    expect(all.splits.sort()).toEqual(['dev', 'dev.small', 'train']);
    expect(all.queryCount).toBe(4);
    expect(all.report.sharedQueries).toBe(1);
    // Split files load in name order: dev.small first, so dev.tsv is the one that disagrees.
    await expectFormatError(loadRetrievalData(memorySource({ ...files, 'queries.dev.small.tsv': '200\tdifferent text\n' })), {
      kind: 'duplicateId', file: 'memory/queries.dev.tsv', line: 1, field: 'qid', message: /different texts/,
    });
    await expect(loadRetrievalData(memorySource(files), { split: 'eval' })).rejects.toThrow(ConfigError);
  });

  it('T2Ranking: header with extra columns picks the text column by name; retrieval qrels win over re-ranking qrels', async () => {
    const data = await loadRetrievalData(
      memorySource({
        'collection.tsv': 'pid\tsource\ttext\n0\tweb\t第一段\n1\tweb\t第二段\n',
        'queries.train.tsv': 'qid\ttext\n7\t问题\n',
        'qrels.train.tsv': 'qid\t-\tpid\trel\n7\t0\t0\t0\n7\t0\t1\t3\n',
        'qrels.retrieval.train.tsv': 'qid\tpid\n7\t0\n',
      }),
    );
    expect([data.passageText(0), data.passageText(1)]).toEqual(['第一段', '第二段']);
    expect(data.report.extraColumnLines).toBe(2);
    expect(Array.from(data.positives('train').passage, (p) => data.passageId(p))).toEqual(['0']);
    expect(data.report.files.filter((f) => f.header).length).toBe(3);
  });

  it('splits lines across stream chunks and gzip members like a plain split would', async () => {
    const r = mulberry32(9);
    const lines = Array.from({ length: 20_000 }, (_, i) => `${i}\t${'word '.repeat(1 + Math.floor(r() * 30))}${i}`);
    const text = `${lines.join('\n')}\n`;
    const bytes = enc.encode(text);
    const half = bytes.lastIndexOf(0x0a, bytes.length >> 1) + 1;
    const multiMember = new Uint8Array([...gz(bytes.subarray(0, half)), ...gz(bytes.subarray(half))]);
    for (const collectionFile of [{ 'collection.tsv': text }, { 'collection.tsv.gz': multiMember }] as Record<string, string | Uint8Array>[]) {
      const data = await loadRetrievalData(memorySource({ ...collectionFile, 'queries.train.tsv': '1\tq\n', 'qrels.train.tsv': '1\t19999\n' }));
      expect(data.passageCount).toBe(lines.length);
      for (let i = 0; i < lines.length; i += 997) expect(`${data.passageId(i)}\t${data.passageText(i)}`).toBe(lines[i]);
    }
  });

  it('rejects TSV problems with file, line and field', async () => {
    const base = { 'collection.tsv': collection, 'queries.train.tsv': queriesTrain, 'qrels.train.tsv': '100\t1\n' };
    const load = (patch: Record<string, string | Uint8Array>) => loadRetrievalData(memorySource({ ...base, ...patch }));
    await expectFormatError(load({ 'collection.tsv': '0\tok\n1 no tab here\n' }), { kind: 'malformed', file: 'memory/collection.tsv', line: 2, message: /found 1/ });
    await expectFormatError(load({ 'collection.tsv': '0\tok\n0\tagain\n' }), { kind: 'duplicateId', file: 'memory/collection.tsv', line: 2, field: 'pid' });
    await expectFormatError(load({ 'collection.tsv': new Uint8Array([...enc.encode('0\tok\n1\tbad '), 0xff, 0x0a]) }), {
      kind: 'invalidUtf8', file: 'memory/collection.tsv', line: 2, field: 'text',
    });
    await expectFormatError(load({ 'queries.train.tsv': '\tno id\n' }), { kind: 'malformed', file: 'memory/queries.train.tsv', line: 1, field: 'qid' });
    await expectFormatError(load({ 'qrels.train.tsv': '100\t1\n100\t1\t2\t3\t4\n' }), { kind: 'malformed', file: 'memory/qrels.train.tsv', line: 2 });
    await expectFormatError(load({ 'collection.tsv': '' }), { kind: 'emptyFile', file: 'memory/collection.tsv' });
    await expect(load({ 'collection.tsv.gz': enc.encode('plain text') })).resolves.toBeDefined(); // the plain file wins
    const { 'collection.tsv': _plain, ...withoutCollection } = base;
    await expect(loadRetrievalData(memorySource({ ...withoutCollection, 'collection.tsv.gz': enc.encode('0\tnot gzip\n') }))).rejects.toThrow(/not a gzip file/);
    await expect(loadRetrievalData(memorySource({ 'readme.txt': 'x' }))).rejects.toThrow(/no corpus.jsonl .* or collection.tsv/);
  });
});
