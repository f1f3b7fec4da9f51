// The sweep layer's public names (re-exported by src/index.ts).
export { validateSweepConfig, learningRateFor, type SweepConfig, type SweepGrid, type TrainSettings, type ValidationSettings, type EvalSettings, type ModelOverrides, type ValidateOptions } from './config.js';
export { planRuns, runId, datasetFingerprint, tokenizerFingerprint, RUN_PROTOCOL, type RunSpec, type PlannedRun, type PlanContext } from './plan.js';
export { runSweepRun, type SweepRow, type RunState, type RunCheckpointStore, type RunEnvironment, type RunHooks } from './run.js';
export { sweep, planSweep, sweepEnvironment, type SweepOptions } from './sweep.js';
export { formatProgress, formatDuration, type SweepProgress } from './progress.js';
export { evaluationSet, samplePairs, validationPairs } from './evalset.js';
export { demoPlan, demoScale, lawSweepPlan, fitDemo, type LawSweepPlan, type LawGrid, type DemoFits, type DemoScale } from './demo.js';
