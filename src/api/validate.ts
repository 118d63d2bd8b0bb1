// Edge validation: zod schemas declared next to each handler; failures become a 400 naming the field.
import type { z } from 'zod';
import { HttpError } from '../errors.js';

export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const attr = issue.path.length > 0 ? issue.path.join('.') : null;
  throw new HttpError('invalid_input', attr ? `${attr}: ${issue.message}` : issue.message, attr);
}

/** Both PostHog prefixes: projects and environments (one environment per project here). */
export const projectPrefixes = ['/api/projects/:projectId', '/api/environments/:projectId'] as const;
