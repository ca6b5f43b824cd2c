export interface WarmupCosineOptions {
  /** Peak learning rate, reached at the end of the warmup. */
  baseLearningRate: number;
  /** Steps of linear warmup from baseLearningRate / warmupSteps up to baseLearningRate. 0 skips the warmup. */
  warmupSteps: number;
  /** Step at which the cosine decay reaches minLearningRate; later steps stay there. */
  totalSteps: number;
  /** Floor of the decay. Default 0. */
  minLearningRate?: number;
}

/**
 * Returns a learning-rate schedule: for step s (counted from 0) the rate is
 * base·(s + 1)/warmupSteps during the warmup, then decays along half a cosine
 * from base to min between warmupSteps and totalSteps, then stays at min.
 */
export function warmupCosineSchedule(options: WarmupCosineOptions): (step: number) => number {
  const { baseLearningRate, warmupSteps, totalSteps } = options;
  const minLearningRate = options.minLearningRate ?? 0;
  if (!Number.isFinite(baseLearningRate) || baseLearningRate <= 0) {
    throw new Error(`warmupCosineSchedule: baseLearningRate must be a finite number greater than 0, got ${baseLearningRate}.`);
  }
  if (!Number.isFinite(minLearningRate) || minLearningRate < 0 || minLearningRate > baseLearningRate) {
    throw new Error(`warmupCosineSchedule: minLearningRate must be in [0, baseLearningRate = ${baseLearningRate}], got ${minLearningRate}.`);
  }
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) {
    throw new Error(`warmupCosineSchedule: warmupSteps must be a non-negative integer, got ${warmupSteps}.`);
  }
  if (!Number.isInteger(totalSteps) || totalSteps <= warmupSteps) {
    throw new Error(`warmupCosineSchedule: totalSteps must be an integer greater than warmupSteps (${warmupSteps}), got ${totalSteps}.`);
  }

  return (step: number): number => {
    if (!Number.isInteger(step) || step < 0) throw new Error(`warmupCosineSchedule: step must be a non-negative integer, got ${step}.`);
    if (step < warmupSteps) return (baseLearningRate * (step + 1)) / warmupSteps;
    if (step >= totalSteps) return minLearningRate;
    const progress = (step - warmupSteps) / (totalSteps - warmupSteps); // 0 at the peak, 1 at totalSteps
    return minLearningRate + 0.5 * (1 + Math.cos(Math.PI * progress)) * (baseLearningRate - minLearningRate);
  };
}
