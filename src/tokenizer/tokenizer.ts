// The public WordPiece tokenizer: BERT's BasicTokenizer + WordPiece exactly as Hugging Face `tokenizers`
// (BertTokenizerFast) does it, running in the AssemblyScript module (assembly/normalize.ts,
// wordpiece.ts). Construction is async (the wasm module may need instantiating); everything after it
// is synchronous, and a whole batch is one wasm call.
import { ConfigError, TokenizerError } from '../errors.js';
import {
  createVocab, encodePadded, encodeRagged, freeVocab, loadTokenizerWasm,
  FLAG_CHINESE, FLAG_CLEAN, FLAG_LOWERCASE, FLAG_STRIP_ACCENTS,
  type PaddedBatch, type RaggedBatch,
} from './wasm.js';
import { parseTokenizerJson } from './tokenizer_json.js';

/** Normaliser settings of a vocab.txt tokenizer (HF BertNormalizer / BertTokenizer options). */
export interface VocabOptions {
  /** Lower-case the text (uncased vocabularies). Default true. */
  lowercase?: boolean;
  /** NFD and drop nonspacing marks. Default: the value of `lowercase`, as in HF. */
  stripAccents?: boolean;
  /** Make every CJK ideograph a word of its own. Default true. */
  handleChineseChars?: boolean;
  /** Longer words (in code points, after normalisation) become [UNK]. Default 100. */
  maxInputCharsPerWord?: number;
}

export interface EncodeOptions {
  /** Add [CLS] … [SEP]. Default true. */
  addSpecialTokens?: boolean;
  /** Truncate to this many ids, special tokens included. Default: no truncation. */
  maxLength?: number;
}

export interface EncodeBatchOptions {
  /** Row length after truncation (and padding, with padding 'max_length'), special tokens included. */
  maxLength: number;
  /** Second texts: rows become [CLS] text [SEP] pair [SEP] with token type 1 on the pair part. */
  pairs?: readonly string[];
  /** Add [CLS]/[SEP]. Default true. */
  addSpecialTokens?: boolean;
  /** Pad every row to maxLength ('max_length', the default) or to the longest row of the batch ('longest'). */
  padding?: 'max_length' | 'longest';
}

/** Row-major (batch × length) Int32 ids, attention mask and token type ids, plus each row's length. */
export type EncodedBatch = PaddedBatch;

/** The token ids a model needs by role; mask is -1 when the vocabulary has no [MASK]. */
export interface SpecialIds {
  pad: number;
  unk: number;
  cls: number;
  sep: number;
  mask: number;
}

/** Everything a Tokenizer was built from: enough to rebuild it with Tokenizer.fromVocab. */
export interface TokenizerSettings {
  lowercase: boolean;
  stripAccents: boolean;
  handleChineseChars: boolean;
  cleanText: boolean;
  maxInputCharsPerWord: number;
  continuingSubwordPrefix: string;
}

/** Resolved construction input shared by the two factories. */
export interface TokenizerSpec {
  /** Token of each id, 0..n-1. */
  tokens: string[];
  settings: TokenizerSettings;
  special: SpecialIds;
  /** Tokens matched in raw text before normalisation (HF added tokens), with their ids. */
  rawMatched: { content: string; id: number; special: boolean }[];
  /** Tidy spaces before punctuation when decoding (HF WordPiece decoder `cleanup`). */
  decodeCleanup: boolean;
}

const BERT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

// A safety net for tokenizers dropped without free(): their vocabulary's wasm memory is released when
// they are collected. Finalizers run as tasks of their own, never inside a (synchronous) wasm call.
const unfreed = new FinalizationRegistry<number>((handle) => freeVocab(handle));
const MAX_CHARS_LIMIT = 1_000_000;

/** Splits vocab.txt like HF's WordPiece::read_file: lines (\n or \r\n), each trimmed at the end. */
export function vocabLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => l.replace(/\p{White_Space}+$/u, ''));
}

function tokenIndex(tokens: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  tokens.forEach((t, i) => m.set(t, i)); // a later duplicate wins, as in HF's HashMap insert
  return m;
}

/**
 * BERT WordPiece tokenizer (HF BertTokenizerFast semantics) in wasm. Create it with
 * {@link Tokenizer.fromVocab} or {@link Tokenizer.fromTokenizerJson}; call {@link Tokenizer.free} when done.
 *
 * @example
 * ```ts
 * const tok = await Tokenizer.fromVocab(vocabText);            // bert-base-uncased vocab.txt
 * tok.tokenize('Héllo, WebGPU!');                             // ['hello', ',', 'web', '##gp', '##u', '!']
 * const { ids, mask } = tok.encodeBatch(['what is webgpu?', 'a gpu api'], { maxLength: 16 });
 * tok.free();
 * ```
 */
export class Tokenizer {
  /** Number of ids (vocab.txt lines; tokenizer.json: entries of model.vocab). */
  readonly vocabSize: number;
  readonly lowercase: boolean;
  readonly special: SpecialIds;
  readonly settings: TokenizerSettings;
  private handle: number;
  private readonly tokens: string[];
  private readonly specialIdSet: Set<number>;
  private readonly decodeCleanup: boolean;

  private constructor(spec: TokenizerSpec) {
    this.tokens = spec.tokens;
    this.vocabSize = spec.tokens.length;
    this.settings = spec.settings;
    this.lowercase = spec.settings.lowercase;
    this.special = spec.special;
    this.decodeCleanup = spec.decodeCleanup;
    this.specialIdSet = new Set(spec.rawMatched.filter((s) => s.special).map((s) => s.id));
    const s = spec.settings;
    this.handle = createVocab({
      tokens: spec.tokens,
      ids: Int32Array.from(spec.tokens, (_, i) => i),
      prefix: s.continuingSubwordPrefix,
      specials: spec.rawMatched,
      flags:
        (s.lowercase ? FLAG_LOWERCASE : 0) |
        (s.stripAccents ? FLAG_STRIP_ACCENTS : 0) |
        (s.handleChineseChars ? FLAG_CHINESE : 0) |
        (s.cleanText ? FLAG_CLEAN : 0),
      maxInputCharsPerWord: s.maxInputCharsPerWord,
      unk: spec.special.unk,
      cls: spec.special.cls,
      sep: spec.special.sep,
      pad: spec.special.pad,
    });
    unfreed.register(this, this.handle, this);
  }

  /**
   * A tokenizer from vocab.txt content (one token per line, id = line number), with BERT's special
   * tokens [PAD] [UNK] [CLS] [SEP] (required) and [MASK] (optional), which are also recognised when
   * they appear literally in a text.
   *
   * @example
   * ```ts
   * const cased = await Tokenizer.fromVocab(vocabText, { lowercase: false });
   * ```
   */
  static async fromVocab(vocabText: string, options: VocabOptions = {}): Promise<Tokenizer> {
    const lowercase = options.lowercase ?? true;
    const maxInputCharsPerWord = options.maxInputCharsPerWord ?? 100;
    checkMaxChars(maxInputCharsPerWord, 'maxInputCharsPerWord');
    const tokens = vocabLines(vocabText);
    const index = tokenIndex(tokens);
    const missing = ['[UNK]', '[CLS]', '[SEP]', '[PAD]'].filter((t) => !index.has(t));
    if (missing.length > 0) {
      throw new TokenizerError(`vocabulary (${tokens.length} lines) has no ${missing.join(', ')}: BERT needs [UNK], [CLS], [SEP] and [PAD]`);
    }
    await loadTokenizerWasm();
    return new Tokenizer({
      tokens,
      settings: {
        lowercase,
        stripAccents: options.stripAccents ?? lowercase,
        handleChineseChars: options.handleChineseChars ?? true,
        cleanText: true,
        maxInputCharsPerWord,
        continuingSubwordPrefix: '##',
      },
      special: {
        pad: index.get('[PAD]')!,
        unk: index.get('[UNK]')!,
        cls: index.get('[CLS]')!,
        sep: index.get('[SEP]')!,
        mask: index.get('[MASK]') ?? -1,
      },
      rawMatched: BERT_SPECIALS.filter((t) => index.has(t)).map((t) => ({ content: t, id: index.get(t)!, special: true })),
      decodeCleanup: true,
    });
  }

  /**
   * A tokenizer from an HF tokenizer.json with a WordPiece model, a BertNormalizer (or none) and a
   * BertPreTokenizer. Truncation and padding settings in the file are ignored: pass them per call.
   *
   * @example
   * ```ts
   * const tok = await Tokenizer.fromTokenizerJson(await (await fetch('/tokenizer.json')).text());
   * ```
   */
  static async fromTokenizerJson(json: string): Promise<Tokenizer> {
    const spec = parseTokenizerJson(json);
    checkMaxChars(spec.settings.maxInputCharsPerWord, 'model.max_input_chars_per_word');
    await loadTokenizerWasm();
    return new Tokenizer(spec);
  }

  private live(): number {
    if (this.handle === 0) throw new TokenizerError('this Tokenizer was freed');
    return this.handle;
  }

  /**
   * The WordPiece tokens of `text`, without special tokens added.
   *
   * @example
   * ```ts
   * tok.tokenize('unaffable'); // ['una', '##ffa', '##ble']
   * ```
   */
  tokenize(text: string): string[] {
    return Array.from(this.encode(text, { addSpecialTokens: false }), (id) => this.tokens[id]!);
  }

  /**
   * The ids of one text, unpadded; [CLS] … [SEP] unless addSpecialTokens is false.
   *
   * @example
   * ```ts
   * tok.encode('hello world'); // Int32Array [101, 7592, 2088, 102]
   * ```
   */
  encode(text: string, options: EncodeOptions = {}): Int32Array {
    const add = options.addSpecialTokens ?? true;
    const maxLength = options.maxLength === undefined ? -1 : this.checkMaxLength(options.maxLength, add ? 2 : 0);
    return encodeRagged(this.live(), [text], maxLength, add).ids;
  }

  /**
   * Encodes a batch in one wasm call into row-major Int32 arrays of batch × length: ids, attention mask
   * and token type ids. Truncation is HF's: a single text keeps its first ids; a pair is cut
   * longest-first. Padding uses [PAD] with mask 0 and type 0.
   *
   * @example
   * ```ts
   * const b = tok.encodeBatch(['a query'], { maxLength: 8, pairs: ['its passage'], padding: 'longest' });
   * b.ids.subarray(0, b.length); // [CLS] a query [SEP] its passage [SEP]
   * ```
   */
  encodeBatch(texts: readonly string[], options: EncodeBatchOptions): EncodedBatch {
    const add = options.addSpecialTokens ?? true;
    const pairs = options.pairs;
    if (pairs !== undefined && pairs.length !== texts.length) {
      throw new ConfigError(`has ${pairs.length} texts but texts has ${texts.length}`, 'pairs');
    }
    const padding = options.padding ?? 'max_length';
    if (padding !== 'max_length' && padding !== 'longest') throw new ConfigError(`"${String(padding)}" is not 'max_length' or 'longest'`, 'padding');
    const maxLength = this.checkMaxLength(options.maxLength, add ? (pairs ? 3 : 2) : 0);
    return encodePadded(this.live(), texts, pairs, maxLength, add, padding === 'longest');
  }

  /**
   * Unpadded ids of many texts at once: text i is ids[offsets[i]] … ids[offsets[i+1] - 1]. For streaming
   * consumers (the CLI, data loaders) that do not want padding.
   *
   * @example
   * ```ts
   * const { ids, offsets } = tok.encodeRagged(['a', 'b c'], { addSpecialTokens: false });
   * ```
   */
  encodeRagged(texts: readonly string[], options: EncodeOptions = {}): RaggedBatch {
    const add = options.addSpecialTokens ?? true;
    const maxLength = options.maxLength === undefined ? -1 : this.checkMaxLength(options.maxLength, add ? 2 : 0);
    return encodeRagged(this.live(), texts, maxLength, add);
  }

  /**
   * Text from ids, as HF's WordPiece decoder: pieces joined with spaces, "##" continuations glued on, and
   * (cleanup) no space before . , ? ! and English contractions. skipSpecialTokens drops [CLS], [SEP], ….
   *
   * @example
   * ```ts
   * tok.decode(tok.encode('Hello, world!'), { skipSpecialTokens: true }); // 'hello, world!'
   * ```
   */
  decode(ids: ArrayLike<number>, options: { skipSpecialTokens?: boolean } = {}): string {
    this.live();
    const skip = options.skipSpecialTokens ?? false;
    const prefix = this.settings.continuingSubwordPrefix;
    let out = '';
    let first = true;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const token = this.tokens[id];
      if (!Number.isInteger(id) || token === undefined) {
        throw new TokenizerError(`decode: id ${id} at position ${i} is outside the vocabulary (0..${this.vocabSize - 1})`);
      }
      if (skip && this.specialIdSet.has(id)) continue;
      let piece = token;
      if (!first) piece = prefix !== '' && piece.startsWith(prefix) ? piece.slice(prefix.length) : ` ${piece}`;
      out += this.decodeCleanup ? cleanup(piece) : piece;
      first = false;
    }
    return out;
  }

  /**
   * The vocabulary as vocab.txt content (one token per line, id order), e.g. to store in a checkpoint
   * next to {@link Tokenizer.settings}.
   *
   * @example
   * ```ts
   * const again = await Tokenizer.fromVocab(tok.vocabText(), tok.settings);
   * ```
   */
  vocabText(): string {
    return this.tokens.join('\n') + '\n';
  }

  /**
   * Releases the wasm memory of this tokenizer's vocabulary. Further calls throw TokenizerError.
   *
   * @example
   * ```ts
   * tok.free();
   * ```
   */
  free(): void {
    if (this.handle !== 0) {
      unfreed.unregister(this);
      freeVocab(this.handle);
    }
    this.handle = 0;
  }

  private checkMaxLength(maxLength: number, specials: number): number {
    if (!Number.isInteger(maxLength) || maxLength < specials || maxLength > 1 << 24) {
      throw new ConfigError(`${maxLength} must be an integer in ${specials}..${1 << 24} (it includes ${specials} special tokens)`, 'maxLength');
    }
    return maxLength;
  }
}

function checkMaxChars(n: number, field: string): void {
  if (!Number.isInteger(n) || n < 0 || n > MAX_CHARS_LIMIT) {
    throw new ConfigError(`${n} must be an integer in 0..${MAX_CHARS_LIMIT}`, field);
  }
}

/** HF's decoder cleanup (tokenizers/src/decoders/wordpiece.rs), applied to each piece. */
function cleanup(s: string): string {
  return s
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(' do not', " don't")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}
