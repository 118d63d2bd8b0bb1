// The flag editor's form: text fields as typed, turned into the API's flag JSON on save (the
// server validates it and names the offending field), and built back from a stored flag.
import type { FlagDefinitionInput, PropertyOperator } from '../../api-types.ts';
import type { ApiFlag } from './flag-types.ts';

export interface PropertyDraft {
  key: string;
  operator: PropertyOperator;
  /**
   * As typed, one field each: "equals" and "does not equal" take several values (any of them
   * matches), the others the first. A comma is part of a value, as in "Acme, Inc.".
   */
  values: string[];
}

export interface ConditionDraft {
  properties: PropertyDraft[];
  rollout: string;
}

export interface VariantDraft {
  key: string;
  rollout: string;
  payload: string;
}

export interface FlagDraft {
  key: string;
  name: string;
  active: boolean;
  /** The group type index the flag matches by; null for users. */
  aggregation: number | null;
  conditions: ConditionDraft[];
  variants: VariantDraft[];
  /** The payload of a flag without variants, sent when it is on. */
  truePayload: string;
}

/** Every operator the server accepts, in words; typed against the server's list. */
export const OPERATOR_LABELS: Record<PropertyOperator, string> = {
  exact: 'equals',
  is_not: 'does not equal',
  icontains: 'contains',
  not_icontains: 'does not contain',
  regex: 'matches regex',
  not_regex: 'does not match regex',
  gt: 'greater than',
  gte: 'at least',
  lt: 'less than',
  lte: 'at most',
  is_set: 'is set',
  is_not_set: 'is not set',
  is_date_before: 'date before',
  is_date_after: 'date after',
};

export const VALUELESS = new Set<PropertyOperator>(['is_set', 'is_not_set']);
const LIST_OPERATORS = new Set<PropertyOperator>(['exact', 'is_not']);
const NUMERIC_OPERATORS = new Set<PropertyOperator>(['gt', 'gte', 'lt', 'lte']);

export const emptyProperty = (): PropertyDraft => ({ key: '', operator: 'exact', values: [''] });

/** Operators that take several values. */
export const takesSeveralValues = (operator: PropertyOperator) => LIST_OPERATORS.has(operator);
export const emptyCondition = (): ConditionDraft => ({ properties: [], rollout: '100' });

export function newFlagDraft(): FlagDraft {
  return { key: '', name: '', active: true, aggregation: null, conditions: [emptyCondition()], variants: [], truePayload: '' };
}

type ApiFilters = ApiFlag['filters'];
type ApiPropertyFilter = ApiFilters['groups'][number]['properties'][number];

function valueTexts(value: ApiPropertyFilter['value']): string[] {
  if (value === null || value === undefined) return [''];
  if (!Array.isArray(value)) return [String(value)];
  return value.length === 0 ? [''] : value.map(String);
}

export function draftFromFlag(flag: ApiFlag): FlagDraft {
  const { filters } = flag;
  const variants = filters.multivariate?.variants ?? [];
  return {
    key: flag.key,
    name: flag.name,
    active: flag.active,
    aggregation: filters.aggregation_group_type_index,
    conditions: filters.groups.map((c) => ({
      properties: c.properties.map((p) => ({ key: p.key, operator: p.operator, values: valueTexts(p.value) })),
      rollout: c.rollout_percentage === null ? '100' : String(c.rollout_percentage),
    })),
    variants: variants.map((v) => ({ key: v.key, rollout: String(v.rollout_percentage), payload: filters.payloads[v.key] ?? '' })),
    truePayload: filters.payloads.true ?? '',
  };
}

function filterValue(p: PropertyDraft): string | number | (string | number)[] | null {
  if (VALUELESS.has(p.operator)) return null;
  if (LIST_OPERATORS.has(p.operator)) return p.values.map((v) => v.trim()).filter((v) => v !== '');
  const value = p.values[0] ?? '';
  if (NUMERIC_OPERATORS.has(p.operator) && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return value.trim();
}

export type FlagBody = Pick<FlagDefinitionInput, 'key' | 'name' | 'active' | 'filters'>;

/** A problem found before sending, in the server's error shape (`attr` names the field). */
export interface FormProblem {
  readonly attr: string;
  readonly message: string;
}

const isPercentage = (text: string) => text.trim() !== '' && Number.isFinite(Number(text));

/** Percentages the browser cannot turn into numbers; everything else is the server's to judge. */
export function formProblems(draft: FlagDraft): FormProblem | null {
  for (const [i, c] of draft.conditions.entries()) {
    if (!isPercentage(c.rollout)) return { attr: `filters.groups.${i}.rollout_percentage`, message: 'Enter a rollout percentage from 0 to 100.' };
  }
  for (const [i, v] of draft.variants.entries()) {
    if (!isPercentage(v.rollout)) return { attr: `filters.multivariate.variants.${i}.rollout_percentage`, message: 'Enter a percentage from 0 to 100.' };
  }
  return null;
}

export function flagBody(draft: FlagDraft): FlagBody {
  const aggregation = draft.aggregation;
  const payloads: Record<string, string> = {};
  if (draft.variants.length > 0) {
    for (const v of draft.variants) if (v.payload.trim() !== '' && v.key !== '') payloads[v.key] = v.payload;
  } else if (draft.truePayload.trim() !== '') payloads.true = draft.truePayload;
  return {
    key: draft.key.trim(),
    name: draft.name,
    active: draft.active,
    filters: {
      aggregation_group_type_index: aggregation,
      groups: draft.conditions.map((c) => ({
        properties: c.properties.map((p) => ({
          key: p.key.trim(),
          operator: p.operator,
          value: filterValue(p),
          type: aggregation === null ? ('person' as const) : ('group' as const),
          group_type_index: aggregation,
        })),
        rollout_percentage: Number(c.rollout),
      })),
      multivariate: draft.variants.length > 0 ? { variants: draft.variants.map((v) => ({ key: v.key.trim(), rollout_percentage: Number(v.rollout) })) } : null,
      payloads,
    },
  };
}

export function variantTotal(variants: readonly VariantDraft[]): number {
  return variants.reduce((sum, v) => sum + (Number(v.rollout) || 0), 0);
}

/**
 * The form field a server error belongs to: the longest field path that is the error's `attr`
 * or a prefix of it ("filters.groups.0.properties.1.value" → that value input), else null.
 */
export function fieldForError(attr: string | null, fields: readonly string[]): string | null {
  if (!attr) return null;
  let best: string | null = null;
  for (const field of fields) {
    if ((attr === field || attr.startsWith(`${field}.`)) && (best === null || field.length > best.length)) best = field;
  }
  return best;
}

/** Every field path of the form that can carry a server error. */
export function errorFields(draft: FlagDraft): string[] {
  const fields = ['key', 'name', 'active', 'filters', 'filters.aggregation_group_type_index', 'filters.multivariate.variants', 'filters.payloads.true'];
  draft.conditions.forEach((c, ci) => {
    const base = `filters.groups.${ci}`;
    fields.push(base, `${base}.rollout_percentage`);
    c.properties.forEach((_, pi) => fields.push(`${base}.properties.${pi}`, `${base}.properties.${pi}.key`, `${base}.properties.${pi}.operator`, `${base}.properties.${pi}.value`));
  });
  draft.variants.forEach((v, vi) => {
    fields.push(`filters.multivariate.variants.${vi}`, `filters.multivariate.variants.${vi}.key`, `filters.multivariate.variants.${vi}.rollout_percentage`);
    if (v.key) fields.push(`filters.payloads.${v.key}`);
  });
  return fields;
}

/** "plan = pro, seats ≥ 10: 50%" for each condition, for the flag list. */
export function rolloutSummary(filters: ApiFilters): string {
  const conditions = filters.groups.map((c) => {
    const who = c.properties.length === 0 ? 'Everyone' : c.properties.map((p) => `${p.key} ${OPERATOR_LABELS[p.operator]}${VALUELESS.has(p.operator) ? '' : ` ${valueTexts(p.value).join(' or ')}`}`).join(' and ');
    return `${who}: ${c.rollout_percentage ?? 100}%`;
  });
  const variants = filters.multivariate?.variants.length ?? 0;
  const text = conditions.length === 0 ? 'No conditions (off for everyone)' : conditions.join('; ');
  return variants > 0 ? `${text} · ${variants} variants` : text;
}
