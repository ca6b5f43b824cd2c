/**
 * Runs exported PyTorch files with Debian's PyTorch (/usr/bin/python3, torch 1.13).
 * The helpers write the module, the engine's weights and a batch to a temporary
 * folder, run a small driver that computes the prediction, the loss and its
 * gradients there, and read the driver's results back.
 */

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors } from '../../src/engine/io/safetensors';
import type { CompiledModel } from '../../src/engine/graph/compile';
import type { Tensor } from '../../src/engine/tensor/tensor';

export const PYTHON = '/usr/bin/python3';

/** Why the PyTorch tests cannot run here, or null when /usr/bin/python3 imports torch and numpy. */
export function pythonTorchProblem(): string | null {
  const result = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  if (result.error !== undefined) return `${PYTHON} cannot start (${result.error.message})`;
  if (result.status !== 0) return `${PYTHON} cannot import torch and numpy: ${result.stderr.trim().split('\n').pop()}`;
  return null;
}

const DRIVER = String.raw`
import importlib.util
import inspect
import json
import sys

import torch

module_path, weights_path, batch_path, results_path = sys.argv[1:5]
spec = importlib.util.spec_from_file_location("exported", module_path)
exported = importlib.util.module_from_spec(spec)
spec.loader.exec_module(exported)

model_class = getattr(exported, sys.argv[5])
torch.manual_seed(0)
model = model_class()
state_keys = list(model.state_dict())
exported.load_safetensors(model, weights_path)
model.eval()

batch = exported.read_safetensors(batch_path)
features = batch["features"]
results = {}
with torch.no_grad():
    prediction = model(features)
    results["prediction"] = prediction
    if "targets" in batch:
        # loss() takes the logits when its first argument is named so and the model has logits().
        takes_logits = "logits" in inspect.signature(model.loss).parameters and hasattr(model, "logits")
        scores = model.logits(features) if takes_logits else prediction
        results["loss"] = model.loss(scores, batch["targets"].long()).reshape(1)

# Gradients of the loss in eval mode, so dropout stays off as in the engine's eval forward.
if "targets" in batch:
    scores = model.logits(features) if takes_logits else model(features)
    model.loss(scores, batch["targets"].long()).backward()
    torch_to_tensorloom = {key: name for name, key in exported.RENAMED_PARAMETERS.items()}
    for key, parameter in model.named_parameters():
        # A parameter the loss does not reach has no grad in PyTorch and a zero one in the engine.
        gradient = torch.zeros_like(parameter) if parameter.grad is None else parameter.grad
        results["grad:" + torch_to_tensorloom.get(key, key)] = gradient
exported.write_safetensors(results, results_path)
tensorloom_keys = list(exported.tensorloom_state_dict(model))
print(json.dumps({"state_keys": state_keys, "tensorloom_keys": tensorloom_keys}))
`;

export interface TorchRun {
  prediction: { shape: number[]; data: Float32Array };
  loss?: number;
  /** state_dict() keys of a freshly built model, in registration order. */
  stateKeys: string[];
  /** The same parameters under Tensorloom's names, from `tensorloom_state_dict`. */
  tensorloomKeys: string[];
  /** Gradient of `model.loss` with respect to each parameter, by Tensorloom name, when targets were given. */
  gradients: Map<string, Float32Array>;
  /** Everything the driver printed, to check that importing the export ran nothing else. */
  stdout: string;
}

export interface TorchInputs {
  features: Tensor;
  /** Class or token targets; when given, the driver also computes `model.loss`. */
  targets?: Tensor;
  className?: string;
}

/** Writes `source` and `parameters` to a temporary folder, runs the driver on `inputs` and returns its results. */
export function runExported(source: string, parameters: ReadonlyMap<string, Tensor>, inputs: TorchInputs): TorchRun {
  const folder = mkdtempSync(join(tmpdir(), 'tensorloom-pytorch-'));
  try {
    const modulePath = join(folder, 'model.py');
    const weightsPath = join(folder, 'weights.safetensors');
    const batchPath = join(folder, 'batch.safetensors');
    const resultsPath = join(folder, 'results.safetensors');
    const driverPath = join(folder, 'driver.py');
    writeFileSync(modulePath, source);
    writeFileSync(weightsPath, encodeSafetensors(parameters));
    const batch = new Map<string, Tensor>([['features', inputs.features]]);
    if (inputs.targets !== undefined) batch.set('targets', inputs.targets);
    writeFileSync(batchPath, encodeSafetensors(batch));
    writeFileSync(driverPath, DRIVER);

    const output = runPython([driverPath, modulePath, weightsPath, batchPath, resultsPath, inputs.className ?? 'TensorloomModel']);
    // A fresh Uint8Array, because decodeSafetensors misreads a pooled Node Buffer (Buffer#slice does not copy).
    const results = decodeSafetensors(new Uint8Array(readFileSync(resultsPath))).tensors;
    const prediction = results.get('prediction')!;
    const loss = results.get('loss');
    const keys = JSON.parse(output.trim().split('\n').pop()!) as { state_keys: string[]; tensorloom_keys: string[] };
    const gradients = new Map<string, Float32Array>();
    for (const [name, tensor] of results) if (name.startsWith('grad:')) gradients.set(name.slice('grad:'.length), tensor.data);
    return {
      prediction: { shape: prediction.shape, data: prediction.data },
      ...(loss === undefined ? {} : { loss: loss.data[0] }),
      stateKeys: keys.state_keys,
      tensorloomKeys: keys.tensorloom_keys,
      gradients,
      stdout: output,
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Runs /usr/bin/python3 with `args` and returns its standard output; throws with its standard error when it fails. */
export function runPython(args: readonly string[], options: { cwd?: string; input?: string } = {}): string {
  const result = spawnSync(PYTHON, args, { encoding: 'utf8', cwd: options.cwd, input: options.input, timeout: 120_000 });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) throw new Error(`${PYTHON} ${args.join(' ')} exited with ${result.status}:\n${result.stderr}`);
  return result.stdout;
}

/**
 * Returns the engine's gradient of the loss on one batch for every parameter,
 * from a forward pass in eval mode, so dropout is off as in the driver.
 */
export function engineGradients(model: CompiledModel, features: Tensor, labels: Int32Array): Map<string, Float32Array> {
  for (const parameter of model.parameters.values()) parameter.zeroGrad();
  model.forward(features, labels, 'eval').loss.backward();
  const gradients = new Map<string, Float32Array>();
  for (const [name, parameter] of model.parameters) gradients.set(name, parameter.grad ?? new Float32Array(parameter.numel));
  return gradients;
}

/** Returns the largest absolute difference between two equally long arrays. */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`Cannot compare arrays of ${a.length} and ${b.length} values.`);
  let largest = 0;
  for (let i = 0; i < a.length; i++) largest = Math.max(largest, Math.abs(a[i] - b[i]));
  return largest;
}

/**
 * Writes `source` as model.py and `files` beside it in a temporary folder, then
 * runs `script` there with the folder as the working directory, where
 * `import model` loads the export. Returns the exit status, both outputs and
 * the safetensors files left in the folder.
 */
export function runScriptBeside(
  source: string,
  files: Readonly<Record<string, Uint8Array>>,
  script: string,
): { status: number | null; stdout: string; stderr: string; folder: Record<string, Uint8Array> } {
  const folder = writeFolder(source, files);
  try {
    const result = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8', cwd: folder, timeout: 120_000 });
    if (result.error !== undefined) throw result.error;
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, folder: safetensorsFiles(folder) };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * Runs `script` beside the export in `processCount` processes with the
 * environment that torchrun gives its workers (RANK, WORLD_SIZE, LOCAL_RANK,
 * MASTER_ADDR 127.0.0.1 and MASTER_PORT), so `init_process_group` with the
 * default env:// method connects them. Resolves with the exit status and error
 * output of each process and the safetensors files left in the folder.
 */
// NOTE: torch.distributed.run itself fails with Debian's torch 1.13 on Python 3.11, because its launcher
// cannot parse the --redirects default (to_map receives None), so the processes are started here instead.
export async function runDistributed(
  source: string,
  files: Readonly<Record<string, Uint8Array>>,
  script: string,
  processCount: number,
): Promise<{ statuses: Array<number | null>; stderr: string; folder: Record<string, Uint8Array> }> {
  const folder = writeFolder(source, files);
  try {
    writeFileSync(join(folder, 'script.py'), script);
    const port = await freePort();
    const runs = Array.from({ length: processCount }, (_unused, rank) => {
      const env = {
        ...process.env,
        RANK: String(rank),
        LOCAL_RANK: String(rank),
        WORLD_SIZE: String(processCount),
        LOCAL_WORLD_SIZE: String(processCount),
        MASTER_ADDR: '127.0.0.1',
        MASTER_PORT: String(port),
      };
      return new Promise<{ status: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(PYTHON, ['script.py'], { cwd: folder, env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        child.once('error', reject);
        child.once('close', (status) => resolve({ status, stderr }));
      });
    });
    const results = await Promise.all(runs);
    return { statuses: results.map((result) => result.status), stderr: results.map((result) => result.stderr).join(''), folder: safetensorsFiles(folder) };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function writeFolder(source: string, files: Readonly<Record<string, Uint8Array>>): string {
  const folder = mkdtempSync(join(tmpdir(), 'tensorloom-pytorch-'));
  writeFileSync(join(folder, 'model.py'), source);
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(folder, name), bytes);
  return folder;
}

function safetensorsFiles(folder: string): Record<string, Uint8Array> {
  const found: Record<string, Uint8Array> = {};
  for (const name of readdirSync(folder)) {
    if (name.endsWith('.safetensors')) found[name] = new Uint8Array(readFileSync(join(folder, name)));
  }
  return found;
}

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('No port was assigned.'))));
    });
  });
}
