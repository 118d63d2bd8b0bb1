// What every query kind runs with (see registry.ts), and the breakdown values PostHog reserves.
import type { Store } from '../store/store.js';

export interface QueryContext {
  readonly store: Store;
  readonly projectId: number;
  readonly timeZone: string;
  readonly maxGroupTypes: number;
  readonly now: Date;
  /** Display name of a group (its `name`, else its key), for group-key breakdowns. */
  readonly groupNames: (groupTypeIndex: number, keys: string[]) => Promise<Map<string, string>>;
}

/** The breakdown value of events without one, and of those past the breakdown limit. */
export const BREAKDOWN_NULL = '$$_posthog_breakdown_null_$$';
export const BREAKDOWN_OTHER = '$$_posthog_breakdown_other_$$';
