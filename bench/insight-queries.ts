// Insight query bodies as the server's POST /api/projects/@current/query/ accepts them, shared
// by the query benchmark and the soak.

/** An ordered funnel over `steps`, aggregated by company (group type index 0). */
export function funnelByCompany(steps: readonly string[], dateFrom: string, windowDays: number): Record<string, unknown> {
  return {
    kind: 'FunnelsQuery',
    series: steps.map((event) => ({ kind: 'EventsNode', event })),
    aggregation_group_type_index: 0,
    dateRange: { date_from: dateFrom },
    funnelsFilter: { funnelWindowInterval: windowDays, funnelWindowIntervalUnit: 'day', funnelOrderType: 'ordered' },
  };
}

/** A daily trend of one series (`event` null means all events). */
export function dailyTrend(
  series: { event: string | null; math: string; math_group_type_index?: number },
  dateFrom: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { kind: 'TrendsQuery', series: [{ kind: 'EventsNode', ...series }], interval: 'day', dateRange: { date_from: dateFrom }, ...extra };
}
