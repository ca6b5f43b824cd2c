import type { ProjectIssue } from '../../../shared/project';

/** Returns an issue's message without a leading copy of its path (`training.batchSize: …`), which the UI shows separately. */
export function messageWithoutPath(issue: ProjectIssue): string {
  const prefix = issue.path === undefined ? null : `${issue.path}: `;
  return prefix !== null && issue.message.startsWith(prefix) ? issue.message.slice(prefix.length) : issue.message;
}

/**
 * True when a run error is about the text of a text dataset (a missing, empty or
 * binary file, or a text too short for the context), which the dataset settings
 * show at the text file field.
 */
export function isTextDatasetMessage(message: string): boolean {
  return /dataset\.path|text file|Brown corpus/i.test(message);
}
