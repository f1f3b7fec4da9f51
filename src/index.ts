// densescale: the public API, one front door. Everything here runs unchanged in Node and in browsers;
// the Node-only file helpers are in ./node.ts (`densescale/node`). Nothing inside src/ imports this file.
//
// The values, in the order a study uses them: a device; data and a tokenizer; a model; training;
// evaluation; sweeps and their annotation methods; fitting, budgeting and the report. Types ride along.

export { createDevice, type Device, type DeviceInfo, type DeviceOptions } from './gpu/device.js';

export { loadRetrievalData, type LoadOptions } from './data/load.js';
export { memorySource, type DataSource } from './data/source.js';
export type { RetrievalData, Qrels, PositivePairs } from './data/retrieval.js';
export type { ErrorPolicy, LoadReport, FileReport } from './data/report.js';
export { PairDataset, type PairDatasetOptions, type PairBatch } from './data/pairs.js';
export { Tokenizer, type VocabOptions, type EncodeOptions, type EncodeBatchOptions, type EncodedBatch } from './tokenizer/tokenizer.js';
export { trainWordPieceVocab, type TrainVocabOptions } from './tokenizer/train_vocab.js';

export { BiEncoder, type BiEncoderOptions } from './model/biencoder.js';
export { modelConfig, paramCount, type BiEncoderConfig, type PresetShape } from './model/config.js';

export { train, type TrainOptions, type TrainResult, type TrainProgress, type PeriodicEvaluation } from './train/train.js';
export { loadCheckpoint, modelFiles, type CheckpointStore, type CheckpointFiles, type LoadedModel } from './train/checkpoint.js';

export { contrastiveEntropy, type ContrastiveEntropyOptions, type ContrastiveEntropyResult } from './eval/entropy.js';
export { evaluate, type EvaluateOptions, type Evaluation } from './eval/evaluate.js';

export { sweep, type SweepOptions } from './sweep/sweep.js';
export { validateSweepConfig, type SweepConfig } from './sweep/config.js';
export type { SweepRow, RunCheckpointStore } from './sweep/run.js';
export type { SweepProgress } from './sweep/progress.js';
export { ANNOTATION_METHODS } from './annotate/methods.js';
export { fileMethod } from './annotate/file.js';
export type { AnnotationMethod, Annotation, AnnotateContext } from './annotate/annotation.js';

export { fitScalingLaw, type FitPoint, type FitOptions, type ScalingFit } from './scaling/fit.js';
export type { Law, LawName, LawParams } from './scaling/laws.js';
export { optimalAllocation, budgetFrontier, type Allocation, type BudgetOptions, type Frontier } from './scaling/budget.js';
export { renderReport, type ReportInput, type RunRow } from './report/report.js';

export {
  DensescaleError,
  GpuUnavailableError,
  ShaderError,
  DeviceLostError,
  LimitError,
  ShapeError,
  FormatError,
  TokenizerError,
  ConfigError,
  AbortError,
} from './errors.js';
export { DataFormatError } from './data/report.js';
