/**
 * The run directory and terminal progress of a training run. See `run-directory.ts` for the
 * folder layout and the usual call sequence, and `progress.ts` for the terminal output.
 */
export { formatCompact, formatDuration } from "./format.js";
export {
  LEARNING_CURVE_PNG,
  LEARNING_CURVE_SVG,
  type LearningCurveOptions,
  type WriteLearningCurveOptions,
  type WrittenLearningCurve,
  renderLearningCurve,
  writeLearningCurve,
} from "./learning-curve.js";
export { MetricsLog, MetricsLogError, type MetricsLogOptions } from "./metrics-log.js";
export { METRICS_CSV, METRICS_JSONL, type MetricsRow, STANDARD_COLUMNS, type StandardColumn } from "./metrics-row.js";
export { type ProgressMode, type ProgressStream, TrainingProgress, type TrainingProgressOptions } from "./progress.js";
export {
  type MetricsFileContent,
  type SkippedLine,
  parseMetricsCsv,
  parseMetricsJsonl,
  readMetricsCsv,
  readMetricsJsonl,
} from "./read-metrics.js";
export {
  CHECKPOINTS_DIR,
  type OpenMetricsOptions,
  RunDirectory,
  RunDirectoryError,
  type RunDirectoryOptions,
} from "./run-directory.js";
export {
  type FinalEval,
  FinalEvalSchema,
  type RunSummary,
  type RunSummaryInput,
  RunSummarySchema,
  SUMMARY_JSON,
  SummaryError,
  makeSummary,
  readSummary,
} from "./summary.js";
