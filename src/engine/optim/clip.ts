import { Tensor } from '../tensor/tensor';

/**
 * Rescales the gradients of `parameters` in place so their joint L2 norm is
 * at most `maxNorm`, as torch.nn.utils.clip_grad_norm_ does: every gradient is
 * multiplied by min(1, maxNorm / (norm + 1e-6)). Returns the norm before
 * clipping. Parameters whose `grad` is null are skipped.
 */
export function clipGradNorm(parameters: Iterable<Tensor> | ReadonlyMap<string, Tensor>, maxNorm: number): number {
  if (typeof maxNorm !== 'number' || !Number.isFinite(maxNorm) || maxNorm <= 0) {
    throw new Error(`clipGradNorm: maxNorm must be a finite number greater than 0, got ${String(maxNorm)}.`);
  }
  const tensors = parameters instanceof Map ? [...parameters.values()] : [...(parameters as Iterable<Tensor>)];
  const gradients: Float32Array[] = [];
  tensors.forEach((tensor, index) => {
    if (!(tensor instanceof Tensor)) throw new Error(`clipGradNorm: parameter ${index} is not a Tensor.`);
    if (tensor.grad !== null) gradients.push(tensor.grad);
  });

  let squares = 0;
  for (const grad of gradients) {
    for (let i = 0; i < grad.length; i++) squares += grad[i] * grad[i];
  }
  const totalNorm = Math.sqrt(squares);

  // NOTE: a NaN or infinite norm leaves the gradients as they are, where torch would multiply
  // them by NaN; the caller sees the returned norm and can skip the step or stop the run.
  if (!Number.isFinite(totalNorm)) return totalNorm;
  const factor = maxNorm / (totalNorm + 1e-6);
  if (factor >= 1) return totalNorm;
  for (const grad of gradients) {
    for (let i = 0; i < grad.length; i++) grad[i] *= factor;
  }
  return totalNorm;
}
