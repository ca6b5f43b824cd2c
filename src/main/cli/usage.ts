/** Help texts and usage errors of the `tensorloom` command line. */

export const MAIN_HELP = `Usage: tensorloom <command> [options]

Build neural networks as node graphs and train them on simulated devices.
This command line runs saved projects without the app window.

Commands:
  train <project.json>      Train a project and report loss and accuracy per epoch.
  export <project.json>     Write the project as config, safetensors weights, ONNX or PyTorch.
  generate <project.json>   Continue a prompt with a trained language model's checkpoint.
  validate <project.json>   Check a project file and list every issue.
  check-parallel <project.json>
                            Run a few steps on one device and under the parallel plan, and compare.

Options:
  -h, --help   Show this help, or a command's help after the command name.

Run "tensorloom <command> --help" for the options of one command.
Set TENSORLOOM_LOG=debug|info|warn|error to change how much the run logs (default warn).
`;

export const TRAIN_HELP = `Usage: tensorloom train <project.json> [--epochs N] [--seed S] [--json] [--checkpoint PATH] [--resume] [--devices N]

Trains the project on one device process and reports every epoch on stderr:
train loss, test loss, test accuracy, samples per second and seconds per epoch.
A language model (a text dataset) reports the validation loss in nats per
character (or byte), the unigram entropy of the text to compare it with, the
next-token accuracy and tokens per second. An epoch of a language model is
training.stepsPerEpoch batches of random windows (default 200).

The device writes a checkpoint of the parameters at the end (and every
training.checkpointEveryEpochs epochs), by default beside the project:
mnist.json gives mnist.safetensors.

Options:
  --epochs N         Number of epochs; overrides training.epochs (whole number, 1 or more).
  --seed S           Random seed for initialisation, shuffling and the data split; overrides training.seed (whole number).
  --json             Write one JSON object per line on stdout: {"event":"epoch",...} per epoch, then {"event":"done",...}.
  --checkpoint PATH  Where to write the checkpoint, and read it with --resume (a .safetensors file).
  --resume           Start from the checkpoint's weights. Every tensor name and shape, and a language
                     model's vocabulary, must match the project; each mismatch is listed.
  --devices N        Train on N device processes. With a DeviceMesh node, N must equal its
                     data × tensor size; without one, N above 1 trains data parallel over N devices.
                     The checkpoint holds the whole model under the same names as on one device.
  -h, --help         Show this help.

Exit status: 0 when training completes, 1 when the project is invalid or training fails,
2 for a usage error, 130 when interrupted.
`;

export const CHECK_PARALLEL_HELP = `Usage: tensorloom check-parallel <project.json> --steps K [--tolerance T] [--devices N] [--json]

Runs K training steps from the project's seed on one device and under its
parallel plan on real device processes, then prints the largest absolute and
relative difference of the loss and of every parameter, and each device's
collective calls and bytes per step. The plan comes from the DeviceMesh node;
without one, --devices N runs data parallel over N devices.

Options:
  --steps K          Steps to run, 1 to 1000.
  --tolerance T      Largest relative difference that passes (default 1e-5).
  --devices N        Device count; with a DeviceMesh node it must equal data × tensor.
  --json             Print the whole result as one JSON object on stdout.
  -h, --help         Show this help.

Exit status: 0 when every difference is within the tolerance, 1 when one is above it or the
check fails, 2 for a usage error.
`;

export const EXPORT_HELP = `Usage: tensorloom export <project.json> --format F --out PATH [--weights PATH]

Writes the project in one format. The output file is replaced atomically, so a
failed export leaves an existing file unchanged.

Options:
  --format F       What to write: config (the project JSON), safetensors (the weights),
                   onnx (an ONNX model with the weights) or pytorch (a PyTorch module).
  --out PATH       File to write.
  --weights PATH   Safetensors file with the trained weights; its tensor names and shapes
                   must fit the project's graph. Default: <project>.safetensors beside the
                   project file, which "tensorloom train" writes.
  -h, --help       Show this help.

Exit status: 0 when the file is written, 1 when the project, the weights or the output
path is invalid, 2 for a usage error.
`;

export const VALIDATE_HELP = `Usage: tensorloom validate <project.json>

Checks the project file against the schema and the graph against the node
types and the dataset shapes. Prints "valid", or each issue with its field
path, node and port.

Options:
  -h, --help   Show this help.

Exit status: 0 when valid, 1 when there are issues or the file cannot be read, 2 for a usage error.
`;

/** A mistake in how the command was called; the CLI prints it with a hint and exits with status 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** Help command to suggest, such as `tensorloom train --help`. */
    readonly helpCommand = 'tensorloom --help',
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

export const GENERATE_HELP = `Usage: tensorloom generate <project.json> --prompt TEXT [--temperature T] [--tokens N] [--top-k K] [--seed S] [--weights PATH]

Loads a language model's checkpoint (written by "tensorloom train") and prints
the prompt followed by the generated text on stdout. The model's vocabulary is
read from the checkpoint, so the text dataset need not be loaded.

Options:
  --prompt TEXT      Text to continue; every character must be in the model's vocabulary.
  --temperature T    Divides the logits before sampling: below 1 is more predictable, above 1 more varied,
                     0 always takes the most likely token (default 0.8, at most 10).
  --tokens N         Number of tokens to generate, 1 to 2000 (default 200).
  --top-k K          Sample only among the K most likely tokens (default: all).
  --seed S           Random seed of the sampling, so the same command prints the same text (default 0).
  --weights PATH     Checkpoint to load (default: the project path with .safetensors in place of .json).
  -h, --help         Show this help.

Exit status: 0 on success, 1 when the project, the checkpoint or the prompt is invalid, 2 for a usage error.
`;
