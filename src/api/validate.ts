// Edge validation: zod schemas declared next to each handler; failures become a 400 naming the field.
import type { z } from 'zod';
import { HttpError } from '../errors.js';

type Issue = z.core.$ZodIssue;

/**
 * The most specific problem: for "matches none of these shapes" (unions), the problem of the
 * shape that got furthest, so a bad operator inside a filter list is named as such.
 */
function deepestIssue(issue: Issue, path: PropertyKey[]): { issue: Issue; path: PropertyKey[] } {
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const candidates = issue.errors
      .filter((list) => list.length > 0)
      .map((list) => deepestIssue(list[0], [...path, ...issue.path]));
    candidates.sort((a, b) => b.path.length - a.path.length);
    if (candidates[0]) return candidates[0];
  }
  return { issue, path: [...path, ...issue.path] };
}

export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const { issue, path } = deepestIssue(result.error.issues[0], []);
  const attr = path.length > 0 ? path.map(String).join('.') : null;
  throw new HttpError('invalid_input', attr ? `${attr}: ${issue.message}` : issue.message, attr);
}

/** Both PostHog prefixes: projects and environments (one environment per project here). */
export const projectPrefixes = ['/api/projects/:projectId', '/api/environments/:projectId'] as const;
