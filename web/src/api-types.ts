// The API's shapes, taken from the server's own serializers and schemas rather than declared
// again here, so the web app and the server cannot drift apart.
import type { z } from 'zod';
import type { FlagDefinitionInput } from '../../src/flags/flag-definition.ts';
import type { FlagResult } from '../../src/flags/evaluate-flag.ts';
import type { actorsQuerySchema } from '../../src/query/actors/schema.ts';
import type { eventsQuerySchema } from '../../src/query/events/schema.ts';
import type { funnelsQuerySchema } from '../../src/query/funnels/schema.ts';
import type { FunnelStepResult } from '../../src/query/funnels/shape.ts';
import type { PropertyFilter, PropertyOperator } from '../../src/query/query-schema.ts';
import type { trendsQuerySchema } from '../../src/query/trends/schema.ts';
import type { TrendsSeriesResult } from '../../src/query/trends/shape.ts';
import type {
  serializeEvent,
  serializeGroup,
  serializeGroupActor,
  serializeGroupType,
  serializePerson,
  serializePropertyDefinition,
  serializeWarning,
} from '../../src/query/serialize.ts';

export type ApiGroupType = ReturnType<typeof serializeGroupType>;
export type ApiGroup = ReturnType<typeof serializeGroup>;
export type ApiGroupActor = ReturnType<typeof serializeGroupActor>;
export type ApiPerson = ReturnType<typeof serializePerson>;
export type ApiEvent = ReturnType<typeof serializeEvent>;
export type ApiPropertyDefinition = ReturnType<typeof serializePropertyDefinition>;
export type ApiIngestionWarning = ReturnType<typeof serializeWarning>;
export type TrendsQueryInput = z.input<typeof trendsQuerySchema>;
export type FunnelsQueryInput = z.input<typeof funnelsQuerySchema>;
export type ActorsQueryInput = z.input<typeof actorsQuerySchema>;
export type EventsQueryInput = z.input<typeof eventsQuerySchema>;
export type { FlagDefinitionInput, FlagResult, FunnelStepResult, PropertyFilter, PropertyOperator, TrendsSeriesResult };

export interface Paginated<T> {
  readonly results: T[];
  readonly next: string | null;
  readonly count?: number;
}

export interface ApiProject {
  readonly id: number;
  readonly name: string;
  readonly api_token: string;
  readonly timezone: string;
}

export interface ApiMe {
  readonly email: string | null;
  readonly projects: ApiProject[];
}
