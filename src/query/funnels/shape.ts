// A funnel's rows in PostHog's shape: one row per breakdown bucket (compileFunnelSteps) becomes
// the list of steps with their counts and conversion times, a list per bucket with a breakdown.
import type { FunnelsQuery } from './schema.js';

export interface Bucket {
  /** Breakdown value (BREAKDOWN_NULL for none, BREAKDOWN_OTHER for the long tail); undefined without a breakdown. */
  readonly value: string | undefined;
  readonly counts: number[];
  /** Per step (index 1..; null for the first step and when nobody reached it), seconds from the previous step. */
  readonly averages: (number | null)[];
  readonly medians: (number | null)[];
}

const numberOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

export function toBucket(row: Record<string, unknown>, steps: number, hasBreakdown: boolean): Bucket {
  const perStep = (prefix: string) => Array.from({ length: steps }, (_, k) => (k === 0 ? null : numberOrNull(row[`${prefix}${k}`])));
  return {
    value: hasBreakdown ? String(row.bucket) : undefined,
    counts: Array.from({ length: steps }, (_, k) => Number(row[`c${k}`])),
    averages: perStep('avg'),
    medians: perStep('median'),
  };
}

/** Most conversions first: by the last step's count, then the one before, ...; then by value. */
export function compareBuckets(a: Bucket, b: Bucket): number {
  for (let k = a.counts.length - 1; k >= 0; k--) if (a.counts[k] !== b.counts[k]) return b.counts[k] - a.counts[k];
  const [x, y] = [String(a.value), String(b.value)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** One step of a funnel's answer, in PostHog's shape (what the web app charts). */
export type FunnelStepResult = ReturnType<typeof shapeSteps>[number];

export function shapeSteps(query: FunnelsQuery, bucket: Bucket) {
  return query.series.map((node, order) => ({
    action_id: node.event ?? null,
    name: node.event ?? 'All events',
    custom_name: node.custom_name ?? null,
    order,
    type: 'events',
    count: bucket.counts[order],
    // Seconds from the previous step, over the actors that reached this one (PostHog: null for the first).
    average_conversion_time: bucket.averages[order],
    median_conversion_time: bucket.medians[order],
    ...(bucket.value === undefined ? {} : { breakdown: bucket.value, breakdown_value: bucket.value }),
  }));
}
