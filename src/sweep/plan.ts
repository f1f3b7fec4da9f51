// Run specs and run ids. A RunSpec is everything that decides a run's result, as plain JSON: the data
// and tokenizer (by content fingerprint), the resolved model configuration, the annotation method, D,
// the seed, and the training and evaluation settings. Its id is a stable hash of that JSON, so:
// - rerunning a sweep recognises finished runs (and resumes an unfinished one) by id;
// - a changed setting, vocabulary or dataset gives new ids instead of silently reusing old rows;
// - a spec can be handed to a worker elsewhere (a queue message), which returns the row: runSweepRun()
//   is a function of the spec and an environment that resolves the fingerprints to loaded objects.
import { ConfigError } from '../errors.js';
import { modelConfig, paramCount, type BiEncoderConfig } from '../model/config.js';
import type { RetrievalData } from '../data/retrieval.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { canonicalJson, sha256Hex, stableId } from '../util/hash.js';
import { learningRateFor, type EvalSettings, type SweepConfig, type TrainSettings } from './config.js';

/** Bumped whenever the meaning of a spec changes (how a run trains or evaluates), so old ids retire. */
export const RUN_PROTOCOL = 1;

export interface RunTrainSettings extends Omit<TrainSettings, 'learningRate'> {
  learningRate: number;
}

/** Everything that decides one run's result. JSON-serialisable; `runId(spec)` is its identity. */
export interface RunSpec {
  protocol: number;
  /** Fingerprint of the retrieval data (datasetFingerprint). */
  dataset: string;
  /** Fingerprint of the tokenizer (tokenizerFingerprint). */
  tokenizer: string;
  preset: string;
  model: BiEncoderConfig;
  /** Annotation method name, and the fingerprint of its input where it has one (a file's SHA-256). */
  method: string;
  methodInput?: string;
  /** D. */
  pairs: number;
  seed: number;
  trainSplit: string;
  subsetSeed: number;
  train: RunTrainSettings;
  eval: EvalSettings;
}

/** A planned run: its id, spec, and the paper's N. */
export interface PlannedRun {
  id: string;
  spec: RunSpec;
  /** N: non-embedding parameters. */
  params: number;
}

export interface PlanContext {
  dataset: string;
  tokenizer: string;
  vocabSize: number;
  /** Input fingerprints of methods that read one (e.g. a `file` method's SHA-256). */
  methodInputs?: Readonly<Record<string, string>>;
}

/**
 * The run id: the first 12 hex digits of the SHA-256 of the spec's canonical JSON.
 *
 * @example
 * await runId(spec);   // e.g. '3f9a0c1d2b4e'
 */
export function runId(spec: RunSpec): Promise<string> {
  return stableId(spec);
}

/**
 * Expands a validated config into run specs in grid order (preset, then D, then method, then seed),
 * dropping duplicates that several grids share.
 *
 * @example
 * const runs = await planRuns(config, { dataset: await datasetFingerprint(data), tokenizer: await tokenizerFingerprint(tok), vocabSize: tok.vocabSize });
 * runs.map((r) => r.id);
 */
export async function planRuns(config: SweepConfig, context: PlanContext): Promise<PlannedRun[]> {
  const out: PlannedRun[] = [];
  const seen = new Set<string>();
  const { learningRate: _, ...trainRest } = config.train;
  for (const [g, grid] of config.grid.entries()) {
    for (const [i, preset] of grid.preset.entries()) {
      let model: BiEncoderConfig;
      try {
        model = modelConfig(config.shapes[preset] ?? preset, { vocabSize: context.vocabSize, ...config.model });
      } catch (e) {
        if (e instanceof ConfigError) throw new ConfigError(`preset "${preset}" with the model settings: ${e.message}`, `grid[${g}].preset[${i}]`);
        throw e;
      }
      for (const pairs of grid.pairs) {
        for (const method of grid.method) {
          for (const seed of grid.seed) {
            const spec: RunSpec = {
              protocol: RUN_PROTOCOL,
              dataset: context.dataset,
              tokenizer: context.tokenizer,
              preset,
              model,
              method,
              pairs,
              seed,
              trainSplit: config.trainSplit,
              subsetSeed: config.subsetSeed,
              train: { ...trainRest, ...grid.train, learningRate: grid.train?.learningRate ?? learningRateFor(config.train, preset) },
              eval: config.eval,
            };
            const input = context.methodInputs?.[method];
            if (input !== undefined) spec.methodInput = input;
            const id = await runId(spec);
            if (seen.has(id)) continue;
            seen.add(id);
            out.push({ id, spec, params: paramCount(model, { nonEmbedding: true }) });
          }
        }
      }
    }
  }
  return out;
}

const ENCODER = new TextEncoder();

/**
 * SHA-256 (first 16 hex digits) over every passage, query and qrel of a dataset, in index order: the
 * dataset's identity inside run ids, independent of where it was loaded from.
 *
 * @example
 * await datasetFingerprint(await loadWordNet());   // the same on every machine
 */
export async function datasetFingerprint(data: RetrievalData): Promise<string> {
  const parts: Uint8Array[] = [];
  let size = 0;
  const add = (bytes: Uint8Array) => {
    const n = new Uint8Array(4);
    new DataView(n.buffer).setUint32(0, bytes.length, true);
    parts.push(n, bytes);
    size += 4 + bytes.length;
  };
  for (let i = 0; i < data.passageCount; i++) {
    add(ENCODER.encode(data.passageId(i)));
    add(data.passageBytes(i));
  }
  for (let i = 0; i < data.queryCount; i++) {
    add(ENCODER.encode(data.queryId(i)));
    add(ENCODER.encode(data.queryText(i)));
  }
  for (const split of data.splits) {
    const q = data.qrels(split);
    add(ENCODER.encode(split));
    add(new Uint8Array(q.query.buffer, q.query.byteOffset, q.query.byteLength));
    add(new Uint8Array(q.passage.buffer, q.passage.byteOffset, q.passage.byteLength));
    add(new Uint8Array(q.score.buffer, q.score.byteOffset, q.score.byteLength));
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return (await sha256Hex(all)).slice(0, 16);
}

/**
 * SHA-256 (first 16 hex digits) of a tokenizer's vocabulary and settings.
 *
 * @example
 * await tokenizerFingerprint(tok);
 */
export async function tokenizerFingerprint(tokenizer: Tokenizer): Promise<string> {
  return (await sha256Hex(`${canonicalJson(tokenizer.settings)}\n${tokenizer.vocabText()}`)).slice(0, 16);
}
