import type { ProjectIssue } from '../../../shared/project';

/** Returns an issue's message without a leading copy of its path (`training.batchSize: …`), which the UI shows separately. */
export function messageWithoutPath(issue: ProjectIssue): string {
  const prefix = issue.path === undefined ? null : `${issue.path}: `;
  return prefix !== null && issue.message.startsWith(prefix) ? issue.message.slice(prefix.length) : issue.message;
}
