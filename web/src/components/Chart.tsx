// An ECharts chart that follows its option and its container's size. onPointClick gets the
// clicked series index and data index (for "who is behind this point" lists).
import * as echarts from 'echarts';
import { useEffect, useRef } from 'react';

export type ChartOption = echarts.EChartsOption;

export function Chart({
  option,
  className = 'chart',
  label,
  onPointClick,
}: {
  option: ChartOption;
  className?: string;
  /** Accessible name of the chart (read by screen readers and tests). */
  label: string;
  onPointClick?: (point: { seriesIndex: number; dataIndex: number; name: string }) => void;
}) {
  const element = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const clickRef = useRef(onPointClick);
  clickRef.current = onPointClick;

  useEffect(() => {
    if (!element.current) return;
    const instance = echarts.init(element.current, undefined, { renderer: 'svg' });
    chart.current = instance;
    instance.on('click', (params) => clickRef.current?.({ seriesIndex: params.seriesIndex ?? 0, dataIndex: params.dataIndex, name: String(params.name) }));
    const resize = new ResizeObserver(() => instance.resize());
    resize.observe(element.current);
    return () => {
      resize.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    // No animation: charts are read at once (and screenshots and clicks in tests land on bars at rest).
    chart.current?.setOption({ animation: false, ...option }, { notMerge: true });
  }, [option]);

  return <div ref={element} className={className} role="img" aria-label={label} />;
}
