// The in-memory retrieval dataset every reader produces: a corpus, queries and per-split relevance
// judgements, all addressed by dense indices. Texts stay UTF-8 in a TextStore and are decoded on demand.
import { ConfigError } from '../errors.js';
import { emptyReport, type LoadReport } from './report.js';
import { IdTable, TextStore, Utf8Scratch } from './store.js';

/** Relevance judgements of one split, in file order. */
export interface Qrels {
  readonly query: Int32Array;
  readonly passage: Int32Array;
  readonly score: Float32Array;
}

/** The (query, passage) pairs of a split with score > 0, in file order: the annotated training pairs. */
export interface PositivePairs {
  readonly query: Int32Array;
  readonly passage: Int32Array;
}

const DECODER = new TextDecoder();
const ENCODER = new TextEncoder();
const SPACE = 0x20;

/**
 * A retrieval dataset: passages, queries and qrels per split. Built by loadRetrievalData(),
 * wordnetRetrieval() or RetrievalData.fromRecords().
 *
 * @example
 * const data = await loadRetrievalData(nodeSource('../shared/data/cranfield'));
 * data.passageCount;                 // 1400
 * const { query, passage } = data.positives('test');
 * data.queryText(query[0]!);         // 'what similarity laws must be obeyed ...'
 * data.passageText(passage[0]!);     // title + ' ' + text
 */
export class RetrievalData {
  private readonly positivesCache = new Map<string, PositivePairs>();

  /** @internal Use the loaders or fromRecords(). */
  constructor(
    private readonly passageIds: IdTable,
    private readonly passageTexts: TextStore,
    /** Byte length of the title at the start of each passage entry (a space follows it); null: no titles. */
    private readonly titleLengths: Uint32Array | null,
    private readonly queryIds: IdTable,
    private readonly queryTexts: TextStore,
    private readonly qrelsBySplit: ReadonlyMap<string, Qrels>,
    /** What the load saw; empty for in-memory construction. */
    readonly report: LoadReport,
  ) {}

  /**
   * Builds a dataset from plain records (tests, generated data, small in-browser sets). Ids must be
   * unique and qrels must name existing ids (else a ConfigError); a score defaults to 1.
   *
   * @example
   * const data = RetrievalData.fromRecords({
   *   passages: [{ id: 'p1', text: 'a cat sat on the mat' }, { id: 'p2', title: 'Dogs', text: 'dogs bark' }],
   *   queries: [{ id: 'q1', text: 'where did the cat sit' }],
   *   qrels: { train: [{ queryId: 'q1', passageId: 'p1' }] },
   * });
   */
  static fromRecords(records: {
    passages: Iterable<{ id: string; text: string; title?: string }>;
    queries: Iterable<{ id: string; text: string }>;
    qrels: Record<string, Iterable<{ queryId: string; passageId: string; score?: number }>>;
  }): RetrievalData {
    const b = new RetrievalDataBuilder();
    const scratch = new Utf8Scratch();
    for (const p of records.passages) {
      if (b.passageIds.intern(...scratch.encode(p.id)) < 0) throw new ConfigError(`duplicate passage id "${p.id}"`, 'passages');
      b.addPassageText(p.title === undefined ? null : ENCODER.encode(p.title), scratch.encode(p.text)[0].subarray(0, scratch.length));
    }
    for (const q of records.queries) {
      if (b.queryIds.intern(...scratch.encode(q.id)) < 0) throw new ConfigError(`duplicate query id "${q.id}"`, 'queries');
      b.queryTexts.append(...scratch.encode(q.text));
    }
    for (const [split, list] of Object.entries(records.qrels)) {
      const seen = new Set<number>();
      for (const r of list) {
        const q = b.queryIds.find(...scratch.encode(r.queryId));
        const p = b.passageIds.find(...scratch.encode(r.passageId));
        if (q < 0) throw new ConfigError(`qrel names unknown query "${r.queryId}"`, `qrels.${split}`);
        if (p < 0) throw new ConfigError(`qrel names unknown passage "${r.passageId}"`, `qrels.${split}`);
        const key = q * b.passageIds.count + p;
        if (seen.has(key)) throw new ConfigError(`duplicate qrel (${r.queryId}, ${r.passageId})`, `qrels.${split}`);
        seen.add(key);
        b.addQrel(split, q, p, r.score ?? 1);
      }
      b.ensureSplit(split);
    }
    return b.build(emptyReport());
  }

  get passageCount(): number {
    return this.passageIds.count;
  }

  get queryCount(): number {
    return this.queryIds.count;
  }

  /** Splits with qrels, in load order. */
  get splits(): string[] {
    return [...this.qrelsBySplit.keys()];
  }

  passageId(i: number): string {
    return DECODER.decode(this.passageIds.idBytes(i));
  }

  /** Index of a passage id, or -1. */
  passageIndex(id: string): number {
    return this.passageIds.findString(id);
  }

  /** The passage as the model reads it: "title text" when there is a title, else the text. */
  passageText(i: number): string {
    return DECODER.decode(this.passageTexts.bytes(i));
  }

  /** The passage's UTF-8 bytes (a view into the store), as passageText() decodes them. */
  passageBytes(i: number): Uint8Array {
    return this.passageTexts.bytes(i);
  }

  /** The passage's title and text apart (BEIR), with its id. */
  passage(i: number): { id: string; title: string; text: string } {
    const bytes = this.passageTexts.bytes(i);
    const t = this.titleLengths?.[i] ?? 0;
    return {
      id: this.passageId(i),
      title: DECODER.decode(bytes.subarray(0, t)),
      text: DECODER.decode(t > 0 ? bytes.subarray(t + 1) : bytes),
    };
  }

  queryId(i: number): string {
    return DECODER.decode(this.queryIds.idBytes(i));
  }

  /** Index of a query id, or -1. */
  queryIndex(id: string): number {
    return this.queryIds.findString(id);
  }

  queryText(i: number): string {
    return DECODER.decode(this.queryTexts.bytes(i));
  }

  /** All judgements of a split (scores ≤ 0 included), in file order. */
  qrels(split: string): Qrels {
    const q = this.qrelsBySplit.get(split);
    if (q === undefined) throw new ConfigError(`no qrels for split "${split}" (have: ${this.splits.join(', ') || 'none'})`, 'split');
    return q;
  }

  /** The pairs of a split with score > 0, in file order. */
  positives(split: string): PositivePairs {
    let pairs = this.positivesCache.get(split);
    if (pairs === undefined) {
      const { query, passage, score } = this.qrels(split);
      let n = 0;
      for (let i = 0; i < score.length; i++) if (score[i]! > 0) n++;
      const q = new Int32Array(n);
      const p = new Int32Array(n);
      for (let i = 0, k = 0; i < score.length; i++) {
        if (score[i]! > 0) {
          q[k] = query[i]!;
          p[k++] = passage[i]!;
        }
      }
      pairs = { query: q, passage: p };
      this.positivesCache.set(split, pairs);
    }
    return pairs;
  }

  /** Bytes held by texts, ids, offsets and qrels (what the loader keeps, without V8 object overhead). */
  memoryBytes(): number {
    let n = this.passageIds.memoryBytes() + this.passageTexts.memoryBytes() + this.queryIds.memoryBytes() + this.queryTexts.memoryBytes();
    n += this.titleLengths?.byteLength ?? 0;
    for (const q of this.qrelsBySplit.values()) n += q.query.byteLength + q.passage.byteLength + q.score.byteLength;
    return n;
  }

  /** UTF-8 bytes of all passage texts (titles included). */
  get passageTextBytes(): number {
    return this.passageTexts.textBytes;
  }
}

interface GrowingQrels {
  query: Int32Array;
  passage: Int32Array;
  score: Float32Array;
  count: number;
}

/** @internal Accumulates a dataset while files stream in; the readers write to it directly. */
export class RetrievalDataBuilder {
  readonly passageIds = new IdTable();
  readonly passageTexts = new TextStore();
  private titleLengths: Uint32Array | null = null;
  readonly queryIds = new IdTable();
  readonly queryTexts = new TextStore();
  private readonly qrels = new Map<string, GrowingQrels>();

  /** Stores the text of the passage just interned (index passageTexts.count). */
  addPassageText(title: Uint8Array | null, text: Uint8Array): void {
    const i = this.passageTexts.count;
    if (title !== null && title.length > 0) {
      this.passageTexts.appendJoined(title, SPACE, text);
      if (this.titleLengths === null || this.titleLengths.length <= i) {
        const next = new Uint32Array(Math.max(16, 2 * (i + 1)));
        if (this.titleLengths !== null) next.set(this.titleLengths);
        this.titleLengths = next;
      }
      this.titleLengths[i] = title.length;
    } else {
      this.passageTexts.append(text, 0, text.length);
    }
  }

  ensureSplit(split: string): GrowingQrels {
    let g = this.qrels.get(split);
    if (g === undefined) {
      g = { query: new Int32Array(1024), passage: new Int32Array(1024), score: new Float32Array(1024), count: 0 };
      this.qrels.set(split, g);
    }
    return g;
  }

  addQrel(split: string, query: number, passage: number, score: number): void {
    const g = this.ensureSplit(split);
    if (g.count === g.query.length) {
      const grow = <T extends Int32Array | Float32Array>(a: T): T => {
        const next = new (a.constructor as new (n: number) => T)(a.length * 2);
        next.set(a);
        return next;
      };
      g.query = grow(g.query);
      g.passage = grow(g.passage);
      g.score = grow(g.score);
    }
    g.query[g.count] = query;
    g.passage[g.count] = passage;
    g.score[g.count] = score;
    g.count++;
  }

  build(report: LoadReport): RetrievalData {
    this.passageIds.finish();
    this.passageTexts.finish();
    this.queryIds.finish();
    this.queryTexts.finish();
    const titles = this.titleLengths === null ? null : this.titleLengths.slice(0, this.passageTexts.count);
    const qrels = new Map<string, Qrels>();
    for (const [split, g] of this.qrels) {
      qrels.set(split, { query: g.query.slice(0, g.count), passage: g.passage.slice(0, g.count), score: g.score.slice(0, g.count) });
    }
    return new RetrievalData(this.passageIds, this.passageTexts, titles, this.queryIds, this.queryTexts, qrels, report);
  }
}
