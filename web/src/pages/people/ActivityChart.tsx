// A group's events per day over the last 30 days: a TrendsQuery of all events filtered to the
// group's key ($group_N as an event property, which the query engine reads from the key column).
import { useMemo } from 'react';
import { runQuery } from '../../api.ts';
import type { TrendsQueryInput, TrendsSeriesResult } from '../../api-types.ts';
import { Chart, type ChartOption } from '../../components/Chart.tsx';
import { ErrorState, Loading } from '../../components/states.tsx';
import { useApi } from '../../use-api.ts';

export function activityQuery(groupTypeIndex: number, groupKey: string): TrendsQueryInput {
  return {
    kind: 'TrendsQuery',
    series: [{ kind: 'EventsNode', event: null, math: 'total', custom_name: 'Events' }],
    interval: 'day',
    dateRange: { date_from: '-30d' },
    properties: [{ key: `$group_${groupTypeIndex}`, value: groupKey, operator: 'exact', type: 'event' }],
  };
}

export function ActivityChart({ groupTypeIndex, groupKey, label }: { groupTypeIndex: number; groupKey: string; label: string }) {
  const trend = useApi(
    (signal) => runQuery<{ results: TrendsSeriesResult[] }>(activityQuery(groupTypeIndex, groupKey), signal).then((r) => r.results[0]),
    [groupTypeIndex, groupKey],
  );
  const option = useMemo<ChartOption | null>(() => {
    if (!trend.data) return null;
    return {
      grid: { left: 36, right: 12, top: 12, bottom: 24 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: trend.data.labels, axisLabel: { hideOverlap: true } },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'bar', name: 'Events', data: trend.data.data, itemStyle: { color: '#a0522d' } }],
    };
  }, [trend.data]);

  return (
    <section className="card activity" aria-labelledby="activity-heading">
      <h2 id="activity-heading">Activity, last 30 days</h2>
      {trend.error ? (
        <ErrorState error={trend.error} retry={trend.reload} />
      ) : !trend.data || !option ? (
        <Loading label="Loading activity…" />
      ) : (
        <>
          <p className="muted activity-total">
            {trend.data.count} {trend.data.count === 1 ? 'event' : 'events'} in the last 30 days
          </p>
          <Chart option={option} className="chart small" label={`${label}: ${trend.data.count} events in the last 30 days`} />
        </>
      )}
    </section>
  );
}
