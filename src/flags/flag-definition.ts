// PostHog's feature flag JSON (spec 5.1), validated at the edge: the same shape the REST API
// accepts, /flags evaluates and posthog-node downloads for local evaluation. Field names are
// PostHog's. Every rejection names the field, e.g. "filters.groups.0.properties.1.operator".
import { z } from 'zod';
import { PROPERTY_OPERATORS } from '../query/query-schema.js';

export interface FlagSchemaOptions {
  /** Group type slots of a project (config maxGroupTypes); indexes run 0..maxGroupTypes-1. */
  readonly maxGroupTypes: number;
}

/** Operators that compare against nothing: the filter's `value` is ignored (PostHog sends "is_set"). */
const VALUELESS_OPERATORS: ReadonlySet<string> = new Set(['is_set', 'is_not_set']);

const scalar = z.union([z.string(), z.number(), z.boolean()]);

function groupTypeIndexSchema(maxGroupTypes: number) {
  const message = `group_type_index must be an integer from 0 to ${maxGroupTypes - 1}`;
  return z
    .number({ error: message })
    .int({ error: message })
    .min(0, { error: message })
    .max(maxGroupTypes - 1, { error: message });
}

const rolloutSchema = z
  .number({ error: 'rollout_percentage must be a number from 0 to 100' })
  .min(0, { error: 'rollout_percentage must be from 0 to 100' })
  .max(100, { error: 'rollout_percentage must be from 0 to 100' });

function propertyFilterSchema(maxGroupTypes: number) {
  return z
    .object({
      key: z.string().min(1, { error: 'property key must not be empty' }),
      value: z.union([scalar, z.array(scalar)]).nullish(),
      operator: z
        .enum(PROPERTY_OPERATORS, { error: `operator must be one of ${PROPERTY_OPERATORS.join(', ')}` })
        .default('exact'),
      type: z.enum(['person', 'group'], {
        error: 'property type must be person or group (cohort and flag filters are not supported)',
      }),
      group_type_index: groupTypeIndexSchema(maxGroupTypes).nullish(),
    })
    .superRefine((filter, ctx) => {
      if (VALUELESS_OPERATORS.has(filter.operator)) return;
      if (filter.value === null || filter.value === undefined) {
        ctx.addIssue({ code: 'custom', path: ['value'], message: `value is required for operator ${filter.operator}` });
      }
    });
}

function conditionSchema(maxGroupTypes: number) {
  return z.object({
    properties: z.array(propertyFilterSchema(maxGroupTypes)).nullish().transform((p) => p ?? []),
    rollout_percentage: rolloutSchema.nullish().transform((r) => r ?? null),
    variant: z.string().nullish().transform((v) => v ?? null),
    /** "Mixed targeting": absent or null means the flag-level aggregation. */
    aggregation_group_type_index: groupTypeIndexSchema(maxGroupTypes).nullish().transform((i) => i ?? null),
  });
}

const variantSchema = z.object({
  key: z.string().min(1, { error: 'variant key must not be empty' }),
  name: z.string().nullish(),
  rollout_percentage: rolloutSchema,
});

const payloadSchema = z.string().refine(
  (text) => {
    try {
      JSON.parse(text);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'payload must be JSON text' },
);

export function flagFiltersSchema({ maxGroupTypes }: FlagSchemaOptions) {
  return z
    .object({
      aggregation_group_type_index: groupTypeIndexSchema(maxGroupTypes).nullish().transform((i) => i ?? null),
      groups: z.array(conditionSchema(maxGroupTypes)).nullish().transform((g) => g ?? []),
      multivariate: z.object({ variants: z.array(variantSchema) }).nullish().transform((m) => m ?? null),
      payloads: z.record(z.string(), payloadSchema).nullish().transform((p) => p ?? {}),
      // Accepted when off (PostHog always sends them); refused when on, because evaluating such a
      // flag without them would silently give answers PostHog would not.
      holdout: z.unknown().optional(),
      super_groups: z.array(z.unknown()).nullish(),
      early_exit: z.boolean().nullish(),
    })
    .superRefine((filters, ctx) => {
      const unsupported = (path: string, what: string) =>
        ctx.addIssue({ code: 'custom', path: [path], message: `${what} are not supported` });
      if (filters.holdout !== undefined && filters.holdout !== null) unsupported('holdout', 'holdouts');
      if (filters.super_groups && filters.super_groups.length > 0) unsupported('super_groups', 'early-access super conditions');
      if (filters.early_exit) unsupported('early_exit', 'early-exit flags');

      const variants = filters.multivariate?.variants ?? [];
      if (filters.multivariate) {
        // Exact sums like 33.3 + 33.3 + 33.4 are not exact in binary floating point.
        const total = variants.reduce((sum, v) => sum + v.rollout_percentage, 0);
        if (Math.abs(total - 100) > 1e-9) {
          ctx.addIssue({
            code: 'custom',
            path: ['multivariate', 'variants'],
            message: `variant rollout percentages must sum to 100, not ${total}`,
          });
        }
        const seen = new Set<string>();
        variants.forEach((v, i) => {
          if (seen.has(v.key)) ctx.addIssue({ code: 'custom', path: ['multivariate', 'variants', i, 'key'], message: `variant key "${v.key}" is repeated` });
          seen.add(v.key);
        });
      }
      const variantKeys = variants.map((v) => v.key);
      filters.groups.forEach((condition, c) => {
        if (condition.variant !== null && !variantKeys.includes(condition.variant)) {
          ctx.addIssue({
            code: 'custom',
            path: ['groups', c, 'variant'],
            message: variantKeys.length
              ? `variant "${condition.variant}" is not one of the flag's variants (${variantKeys.join(', ')})`
              : `variant "${condition.variant}" is set but the flag has no variants`,
          });
        }
        const aggregation = condition.aggregation_group_type_index ?? filters.aggregation_group_type_index;
        condition.properties.forEach((filter, p) => {
          if (filter.type === 'group' && (filter.group_type_index ?? aggregation ?? null) === null) {
            ctx.addIssue({
              code: 'custom',
              path: ['groups', c, 'properties', p, 'group_type_index'],
              message: 'a group property in a condition not aggregated by group needs its group_type_index',
            });
          }
        });
      });
    })
    .transform(({ aggregation_group_type_index, groups, multivariate, payloads }) => ({
      aggregation_group_type_index,
      groups,
      multivariate,
      payloads,
    }));
}

export function flagDefinitionSchema(options: FlagSchemaOptions) {
  return z
    .object({
      id: z.number().int(),
      key: z.string().min(1, { error: 'flag key must not be empty' }),
      name: z.string().nullish().transform((n) => n ?? ''),
      active: z.boolean(),
      deleted: z.boolean().default(false),
      version: z.number().int().nullish().transform((v) => v ?? 0),
      ensure_experience_continuity: z.boolean().nullish().transform((e) => e ?? false),
      // Bucketing persons by $device_id instead of distinct id: refused, like holdouts in the filters.
      bucketing_identifier: z
        .enum(['distinct_id'], { error: 'bucketing identifiers other than distinct_id are not supported' })
        .nullish(),
      filters: flagFiltersSchema(options),
    })
    .transform(({ bucketing_identifier: _, ...flag }) => flag);
}

export type FlagFilters = z.output<ReturnType<typeof flagFiltersSchema>>;
export type FlagDefinition = z.output<ReturnType<typeof flagDefinitionSchema>>;
/** What callers may send: defaults (operator exact, deleted false, ...) not yet applied. */
export type FlagDefinitionInput = z.input<ReturnType<typeof flagDefinitionSchema>>;
export type FlagCondition = FlagFilters['groups'][number];
export type FlagPropertyFilter = FlagCondition['properties'][number];
export type FlagVariant = NonNullable<FlagFilters['multivariate']>['variants'][number];
