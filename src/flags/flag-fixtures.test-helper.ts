// Loads the flag evaluation fixtures (test/fixtures/flags/*.json), shared by the evaluator's unit
// tests and the posthog-node agreement test. A fixture is one /flags request against one flag:
//   name                    what the case shows, as a sentence
//   flag                    PostHog's flag JSON (spec 5.1), as stored and as served for local evaluation
//   request                 the /flags body: distinct_id, groups, person_properties, group_properties
//   groupTypeMapping        the project's group types, index → name (string keys, as PostHog sends)
//   storedPersonProperties  the person as stored (optional)
//   storedGroupProperties   groups as stored: type name → group key → properties (optional)
//   expected                {enabled, variant, reason: {code, condition_index}, payload}
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EvaluationContext, FlagReasonCode } from './evaluate-flag.js';
import { flagDefinitionSchema, type FlagDefinition, type FlagDefinitionInput } from './flag-definition.js';

type Properties = Record<string, unknown>;

export interface FlagFixture {
  readonly file: string;
  readonly name: string;
  readonly flag: FlagDefinitionInput;
  readonly request: {
    readonly distinct_id: string;
    readonly groups?: Record<string, string | number>;
    readonly person_properties?: Properties;
    readonly group_properties?: Record<string, Properties>;
  };
  readonly groupTypeMapping: Record<string, string>;
  readonly storedPersonProperties?: Properties;
  readonly storedGroupProperties?: Record<string, Record<string, Properties>>;
  readonly expected: {
    readonly enabled: boolean;
    readonly variant: string | null;
    readonly reason: { readonly code: FlagReasonCode; readonly condition_index: number | null };
    readonly payload: string | null;
  };
}

const FIXTURE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/flags');

export function loadFlagFixtures(): FlagFixture[] {
  return fs
    .readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, ...(JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, file), 'utf8')) as Omit<FlagFixture, 'file'>) }));
}

/** The fixture's flag through the same validation the API applies (five group type slots). */
export function fixtureFlag(fixture: FlagFixture): FlagDefinition {
  return flagDefinitionSchema({ maxGroupTypes: 5 }).parse(fixture.flag);
}

/**
 * What the server knows when it evaluates: stored properties with the request's on top. These are
 * also what the agreement test hands posthog-node, so its local evaluation sees every property.
 */
export function mergedProperties(fixture: FlagFixture): { personProperties: Properties; groupProperties: Record<string, Properties> } {
  const { request } = fixture;
  const groupProperties: Record<string, Properties> = {};
  for (const [type, key] of Object.entries(request.groups ?? {})) {
    groupProperties[type] = { ...fixture.storedGroupProperties?.[type]?.[String(key)], ...request.group_properties?.[type] };
  }
  return { personProperties: { ...fixture.storedPersonProperties, ...request.person_properties }, groupProperties };
}

/** The evaluation context a /flags endpoint builds for this request (spec 5.3 step 3). */
export function fixtureContext(fixture: FlagFixture): EvaluationContext {
  const { personProperties, groupProperties } = mergedProperties(fixture);
  const groups = fixture.request.groups ?? {};
  return {
    distinctId: fixture.request.distinct_id,
    groups,
    groupTypeMapping: Object.fromEntries(Object.entries(fixture.groupTypeMapping).map(([index, name]) => [Number(index), name])),
    // Same order as posthog-node: the injected keys first, so explicit properties win.
    personProperties: { distinct_id: fixture.request.distinct_id, ...personProperties },
    groupProperties: Object.fromEntries(
      Object.entries(groupProperties).map(([type, props]) => [type, { $group_key: String(groups[type]), ...props }]),
    ),
  };
}
