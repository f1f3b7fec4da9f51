// The sweep configuration: what a `densescale sweep --config <file>` JSON holds (minus the CLI's own
// `data` and `tokenizer` sections), validated field by field so that a mistake is reported with its
// path, e.g. `grid.preset[2]: unknown preset "x"`, before anything trains.
import { ConfigError } from '../errors.js';
import { modelConfig, presets, type BiEncoderConfig, type PresetShape } from '../model/config.js';

/** One cross product of runs: every preset × every D × every method × every seed. */
export interface SweepGrid {
  /** Model presets (`presets` of model/config.ts: cpu-1…cpu-7, tiny…base, bert-L{2..12}-H{128..768}) or names from `shapes`. */
  preset: string[];
  /** D: training pairs, a prefix of the seeded shuffle of the annotated pairs. */
  pairs: number[];
  /** Annotation methods (default ['human']). */
  method: string[];
  /** Seeds of initialisation and batch order (default [0]). */
  seed: number[];
  /** Training settings of this grid's runs that differ from the config's `train` (e.g. the batch shape). */
  train?: GridTrainOverrides;
}

/** What a grid may change of the training settings. */
export type GridTrainOverrides = Partial<Pick<TrainSettings, 'steps' | 'batchSize' | 'negatives' | 'warmup' | 'weightDecay' | 'maxGradNorm'>> & {
  /** Peak learning rate of this grid's runs, whatever their preset. */
  learningRate?: number;
};

const GRID_TRAIN_KEYS = ['steps', 'batchSize', 'negatives', 'learningRate', 'warmup', 'weightDecay', 'maxGradNorm'] as const;

/** Early stopping on held-out training pairs (the paper reports the best checkpoint by contrastive entropy). */
export interface ValidationSettings {
  /** H human training pairs held out (the tail of the subset shuffle); D may be at most total − H. */
  pairs: number;
  /** Evaluate every this many steps (and at the last step); the best parameters are kept. */
  every: number;
  /** W per pair. */
  negatives: number;
  /** Negatives come from a seeded sample of this many corpus passages, shared by all pairs. */
  pool: number;
  /** Stop after this many evaluations in a row without improvement (default: never stop early). */
  patience?: number;
}

export interface TrainSettings {
  steps: number;
  batchSize: number;
  /** W random negatives shared by each batch (besides the in-batch ones). */
  negatives: number;
  queryLength: number;
  passageLength: number;
  /** Peak learning rate: one value, or one per preset with "*" as the default. */
  learningRate: number | Record<string, number>;
  /** Linear warmup steps (then linear decay to 0). Default 0, as the paper. */
  warmup: number;
  weightDecay: number;
  maxGradNorm: number;
  validation?: ValidationSettings;
}

/** The final evaluation, always on the human pairs of `split` (contrastive entropy, paper §4). */
export interface EvalSettings {
  split: string;
  /** W negatives per pair (the paper: 256). */
  negatives: number;
  /** R draws of the negatives (the paper's code: 10). */
  repeats: number;
  /** The paper's evaluation seed is 1. */
  seed: number;
  queryLength: number;
  passageLength: number;
  /** Evaluate a seeded subset of this many test pairs (default: all). */
  maxPairs?: number;
  /**
   * Draw negatives from a seeded random sample of this many corpus passages, the same for every run,
   * instead of from the whole corpus: evaluation then embeds pool + pairs passages, not pairs·W·R. Each
   * negative is still uniform over the corpus, so the expected entropy is unchanged. Default: the corpus.
   */
  pool?: number;
  /** Also compute MRR@10, NDCG@10 and Recall@{10,100,1000} by exact top-k over the evaluated corpus. */
  ranking: boolean;
}

/** Model options every run shares (the preset gives hidden, layers, heads). */
export type ModelOverrides = Partial<
  Pick<BiEncoderConfig, 'maxPositions' | 'projection' | 'pooler' | 'pooling' | 'normalize' | 'temperature' | 'sharedTowers' | 'hiddenAct' | 'layerNormEps'>
>;

export interface SweepConfig {
  name: string;
  /** Model shapes of this sweep by name, besides the built-in presets (which they may not shadow). */
  shapes: Record<string, PresetShape>;
  grid: SweepGrid[];
  model: ModelOverrides;
  train: TrainSettings;
  eval: EvalSettings;
  /** The human training split (default 'train'). */
  trainSplit: string;
  /** Seed of the training-subset shuffle (default 521, the authors'). */
  subsetSeed: number;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function object(v: unknown, path: string): Json {
  if (!isObject(v)) throw new ConfigError(`expected an object, got ${describe(v)}`, path);
  return v;
}

function describe(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v) ?? String(v);
}

function onlyKeys(o: Json, path: string, keys: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) throw new ConfigError(`unknown field (expected one of: ${keys.join(', ')})`, path === '' ? k : `${path}.${k}`);
  }
}

function integer(v: unknown, path: string, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new ConfigError(`expected an integer ≥ ${min}, got ${describe(v)}`, path);
  return v;
}

function number(v: unknown, path: string, check: (x: number) => boolean, want: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) throw new ConfigError(`expected ${want}, got ${describe(v)}`, path);
  return v;
}

function string(v: unknown, path: string): string {
  if (typeof v !== 'string' || v === '') throw new ConfigError(`expected a non-empty string, got ${describe(v)}`, path);
  return v;
}

function list<T>(v: unknown, path: string, item: (x: unknown, p: string) => T): T[] {
  if (!Array.isArray(v) || v.length === 0) throw new ConfigError(`expected a non-empty array, got ${describe(v)}`, path);
  return v.map((x, i) => item(x, `${path}[${i}]`));
}

function optional<T>(o: Json, key: string, path: string, read: (v: unknown, p: string) => T, fallback: T): T {
  return o[key] === undefined ? fallback : read(o[key], path === '' ? key : `${path}.${key}`);
}

function shapes(v: unknown, path: string): Record<string, PresetShape> {
  const o = object(v, path);
  const out: Record<string, PresetShape> = {};
  for (const [name, value] of Object.entries(o)) {
    const p = `${path}.${name}`;
    if (presets[name] !== undefined) throw new ConfigError(`"${name}" is a built-in preset; give the shape another name`, p);
    const s = object(value, p);
    onlyKeys(s, p, ['layers', 'hidden', 'heads']);
    const shape = { layers: integer(s.layers, `${p}.layers`, 1), hidden: integer(s.hidden, `${p}.hidden`, 4), heads: integer(s.heads, `${p}.heads`, 1) };
    if (shape.hidden % shape.heads !== 0) throw new ConfigError(`hidden ${shape.hidden} is not divisible by heads ${shape.heads}`, `${p}.heads`);
    if (shape.hidden % 4 !== 0) throw new ConfigError(`must be a multiple of 4 (vec4 kernels), got ${shape.hidden}`, `${p}.hidden`);
    out[name] = shape;
  }
  return out;
}

function grid(v: unknown, path: string, methods: readonly string[], known: Readonly<Record<string, PresetShape>>): SweepGrid {
  const presetName = (x: unknown, p: string): string => {
    const name = string(x, p);
    if (known[name] === undefined) throw new ConfigError(`unknown preset "${name}" (have: ${Object.keys(known).join(', ')})`, p);
    return name;
  };
  const o = object(v, path);
  onlyKeys(o, path, ['preset', 'pairs', 'method', 'seed', 'train']);
  const method = (x: unknown, p: string) => {
    const name = string(x, p);
    if (!methods.includes(name)) throw new ConfigError(`unknown annotation method "${name}" (have: ${methods.join(', ')})`, p);
    return name;
  };
  const out: SweepGrid = {
    preset: list(o.preset, `${path}.preset`, presetName),
    pairs: list(o.pairs, `${path}.pairs`, (x, p) => integer(x, p, 1)),
    method: optional(o, 'method', path, (x, p) => list(x, p, method), ['human']),
    seed: optional(o, 'seed', path, (x, p) => list(x, p, (y, q) => integer(y, q, 0)), [0]),
  };
  if (o.train !== undefined) {
    const t = object(o.train, `${path}.train`);
    onlyKeys(t, `${path}.train`, GRID_TRAIN_KEYS);
    out.train = {};
    for (const k of GRID_TRAIN_KEYS) {
      if (t[k] === undefined) continue;
      const p = `${path}.train.${k}`;
      if (k === 'learningRate') out.train[k] = number(t[k], p, (n) => n > 0, 'a positive number');
      else if (k === 'weightDecay' || k === 'maxGradNorm') out.train[k] = number(t[k], p, (n) => n >= 0, 'a number ≥ 0');
      else out.train[k] = integer(t[k], p, k === 'steps' || k === 'batchSize' ? 1 : 0);
    }
  }
  return out;
}

const MODEL_KEYS = ['maxPositions', 'projection', 'pooler', 'pooling', 'normalize', 'temperature', 'sharedTowers', 'hiddenAct', 'layerNormEps'] as const;

function modelOverrides(v: unknown, path: string): ModelOverrides {
  const o = object(v, path);
  onlyKeys(o, path, MODEL_KEYS);
  try {
    // The preset's shape does not matter for these fields; a small one keeps the check cheap.
    modelConfig('cpu-1', { vocabSize: 8, ...(o as ModelOverrides) });
  } catch (e) {
    if (e instanceof ConfigError && e.field !== undefined) throw new ConfigError(e.message.slice(e.field.length + 2), `${path}.${e.field}`);
    throw e;
  }
  for (const k of ['pooler', 'normalize', 'sharedTowers'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'boolean') throw new ConfigError(`expected true or false, got ${describe(o[k])}`, `${path}.${k}`);
  }
  return o as ModelOverrides;
}

function learningRate(v: unknown, path: string, presetNames: ReadonlySet<string>, known: Readonly<Record<string, PresetShape>>): number | Record<string, number> {
  const positive = (x: unknown, p: string) => number(x, p, (n) => n > 0, 'a positive number');
  if (!isObject(v)) return positive(v, path);
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k !== '*' && known[k] === undefined) throw new ConfigError(`unknown preset "${k}" (use "*" for the default)`, `${path}.${k}`);
    out[k] = positive(x, `${path}.${k}`);
  }
  for (const p of presetNames) {
    if (out[p] === undefined && out['*'] === undefined) throw new ConfigError(`no learning rate for preset "${p}" and no "*" default`, path);
  }
  return out;
}

function validation(v: unknown, path: string): ValidationSettings {
  const o = object(v, path);
  onlyKeys(o, path, ['pairs', 'every', 'negatives', 'pool', 'patience']);
  const out: ValidationSettings = {
    pairs: integer(o.pairs, `${path}.pairs`, 1),
    every: integer(o.every, `${path}.every`, 1),
    negatives: integer(o.negatives, `${path}.negatives`, 1),
    pool: integer(o.pool, `${path}.pool`, 1),
  };
  if (out.pool < out.negatives) throw new ConfigError(`a pool of ${out.pool} passages cannot give ${out.negatives} distinct negatives`, `${path}.pool`);
  if (o.patience !== undefined) out.patience = integer(o.patience, `${path}.patience`, 1);
  return out;
}

function train(v: unknown, path: string, presetNames: ReadonlySet<string>, known: Readonly<Record<string, PresetShape>>): TrainSettings {
  const o = object(v, path);
  onlyKeys(o, path, ['steps', 'batchSize', 'negatives', 'queryLength', 'passageLength', 'learningRate', 'warmup', 'weightDecay', 'maxGradNorm', 'validation']);
  const steps = integer(o.steps, `${path}.steps`, 1);
  const out: TrainSettings = {
    steps,
    batchSize: integer(o.batchSize, `${path}.batchSize`, 1),
    negatives: integer(o.negatives, `${path}.negatives`, 0),
    queryLength: integer(o.queryLength, `${path}.queryLength`, 2),
    passageLength: integer(o.passageLength, `${path}.passageLength`, 2),
    learningRate: learningRate(o.learningRate, `${path}.learningRate`, presetNames, known),
    warmup: optional(o, 'warmup', path, (x, p) => integer(x, p, 0), 0),
    weightDecay: optional(o, 'weightDecay', path, (x, p) => number(x, p, (n) => n >= 0, 'a number ≥ 0'), 0.01),
    maxGradNorm: optional(o, 'maxGradNorm', path, (x, p) => number(x, p, (n) => n >= 0, 'a number ≥ 0 (0: no clipping)'), 1),
  };
  if (out.warmup > steps) throw new ConfigError(`warmup ${out.warmup} exceeds steps ${steps}`, `${path}.warmup`);
  if (o.validation !== undefined) out.validation = validation(o.validation, `${path}.validation`);
  return out;
}

function evaluation(v: unknown, path: string): EvalSettings {
  const o = object(v, path);
  onlyKeys(o, path, ['split', 'negatives', 'repeats', 'seed', 'queryLength', 'passageLength', 'maxPairs', 'pool', 'ranking']);
  const out: EvalSettings = {
    split: optional(o, 'split', path, string, 'test'),
    negatives: optional(o, 'negatives', path, (x, p) => integer(x, p, 1), 256),
    repeats: optional(o, 'repeats', path, (x, p) => integer(x, p, 1), 10),
    seed: optional(o, 'seed', path, (x, p) => integer(x, p, 0), 1),
    queryLength: optional(o, 'queryLength', path, (x, p) => integer(x, p, 2), 32),
    passageLength: optional(o, 'passageLength', path, (x, p) => integer(x, p, 2), 180),
    ranking: optional(o, 'ranking', path, (x, p) => {
      if (typeof x !== 'boolean') throw new ConfigError(`expected true or false, got ${describe(x)}`, p);
      return x;
    }, false),
  };
  if (o.maxPairs !== undefined) out.maxPairs = integer(o.maxPairs, `${path}.maxPairs`, 1);
  if (o.pool !== undefined) out.pool = integer(o.pool, `${path}.pool`, 1);
  if (out.pool !== undefined && out.pool < out.negatives) throw new ConfigError(`a pool of ${out.pool} passages cannot give ${out.negatives} distinct negatives`, `${path}.pool`);
  return out;
}

export interface ValidateOptions {
  /** Annotation methods the sweep can run (built-ins plus registered plug-ins). */
  methods: readonly string[];
  /** Top-level fields another layer handles (the CLI's `data`, `tokenizer`); accepted and ignored here. */
  ignore?: readonly string[];
}

/**
 * Checks a parsed JSON sweep configuration and fills in defaults. Every error is a ConfigError whose
 * field is the path of the offending value.
 *
 * @example
 * const config = validateSweepConfig(JSON.parse(text), { methods: ['human', 'ict', 'crop'] });
 * // throws ConfigError('grid.preset[2]: unknown preset "x" (have: …)') for a typo
 */
export function validateSweepConfig(value: unknown, options: ValidateOptions): SweepConfig {
  const o = object(value, 'config');
  onlyKeys(o, '', ['name', 'shapes', 'grid', 'model', 'train', 'eval', 'trainSplit', 'subsetSeed', ...(options.ignore ?? [])]);
  const custom = optional(o, 'shapes', '', shapes, {});
  const known = { ...presets, ...custom };
  const grids = Array.isArray(o.grid) ? list(o.grid, 'grid', (g, p) => grid(g, p, options.methods, known)) : [grid(o.grid, 'grid', options.methods, known)];
  const presetNames = new Set(grids.flatMap((g) => g.preset));
  const config: SweepConfig = {
    name: optional(o, 'name', '', string, 'sweep'),
    shapes: custom,
    grid: grids,
    model: optional(o, 'model', '', modelOverrides, {}),
    train: train(o.train, 'train', presetNames, known),
    eval: evaluation(o.eval ?? {}, 'eval'),
    trainSplit: optional(o, 'trainSplit', '', string, 'train'),
    subsetSeed: optional(o, 'subsetSeed', '', (x, p) => integer(x, p, 0), 521),
  };
  for (const [length, field] of [
    [config.train.queryLength, 'train.queryLength'],
    [config.train.passageLength, 'train.passageLength'],
    [config.eval.queryLength, 'eval.queryLength'],
    [config.eval.passageLength, 'eval.passageLength'],
  ] as const) {
    const maxPositions = config.model.maxPositions ?? 512;
    if (length > maxPositions) throw new ConfigError(`${length} tokens exceed model.maxPositions ${maxPositions}`, field);
  }
  config.grid.forEach((g, i) => {
    const steps = g.train?.steps ?? config.train.steps;
    const warmup = g.train?.warmup ?? config.train.warmup;
    if (warmup > steps) throw new ConfigError(`warmup ${warmup} exceeds steps ${steps}`, `grid[${i}].train.warmup`);
  });
  if (config.trainSplit === config.eval.split) throw new ConfigError(`the evaluation split must differ from trainSplit "${config.trainSplit}"`, 'eval.split');
  return config;
}

/** The peak learning rate of a preset under the config's `train.learningRate`. */
export function learningRateFor(settings: TrainSettings, preset: string): number {
  const lr = settings.learningRate;
  return typeof lr === 'number' ? lr : (lr[preset] ?? lr['*']!);
}
