/** The CLI's output streams: stdout for results, stderr for progress and messages. */
export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stderr is a terminal, so a progress bar can redraw one line. */
  stderrIsTty: boolean;
}

export const processOutput: CliOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTty: process.stderr.isTTY === true,
};
