// densescale: the public API. Everything a user imports comes from here; nothing inside src/ imports it.
export { createDevice, Device, type DeviceInfo, type DeviceOptions } from './gpu/device.js';
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
export { fitScalingLaw, fitSummary, type FitPoint, type FitOptions, type ScalingFit, type FitSummary } from './scaling/fit.js';
export { optimalAllocation, budgetFrontier, PAPER_COSTS, type Allocation, type BudgetOptions, type Frontier } from './scaling/budget.js';
export { predictLoss, type Law, type LawName, type LawParams } from './scaling/laws.js';
export { renderReport, type ReportInput, type RunRow } from './report/report.js';
export * from './data/index.js';
export { Tokenizer, type VocabOptions, type EncodeOptions, type EncodeBatchOptions, type EncodedBatch, type SpecialIds, type TokenizerSettings } from './tokenizer/tokenizer.js';
export { trainWordPieceVocab, type TrainVocabOptions } from './tokenizer/train_vocab.js';
export { contrastiveEntropy, type ContrastiveEntropyOptions, type ContrastiveEntropyResult, type EvalProgress } from './eval/entropy.js';
export { evaluate, type EvaluateOptions, type Evaluation } from './eval/evaluate.js';
export { train, type TrainOptions, type TrainResult, type TrainProgress, type PeriodicEvaluation } from './train/train.js';
export { loadCheckpoint, modelFiles, memoryCheckpointStore, type CheckpointStore, type CheckpointFiles, type LoadedModel } from './train/checkpoint.js';
export { holdOutPairs, pairEntropy, type PairList, type PairEntropyOptions } from './train/holdout.js';
export { learnTrainingVocabulary } from './train/vocab.js';
export * from './sweep/index.js';
export * from './annotate/index.js';
