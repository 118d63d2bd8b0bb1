// Saved insights (name + query), kept as store documents. Being built.
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/store.js';
import type { Auth } from './auth.js';

export interface InsightRoutesDeps {
  readonly store: Store;
  readonly auth: Auth;
}

export function registerInsightRoutes(_app: FastifyInstance, _deps: InsightRoutesDeps): void {}
