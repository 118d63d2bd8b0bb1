// A person's or group's properties as a two-column table, sorted by name.
import { Empty } from '../../components/states.tsx';
import { formatValue } from './format.ts';

export function PropertiesTable({ properties, label }: { properties: Record<string, unknown>; label: string }) {
  const entries = Object.entries(properties).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return <Empty title="No properties" />;
  return (
    <div className="table-wrap">
      <table aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Property</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {entries.map(([key, value]) => (
            <tr key={key}>
              <td className="code">{key}</td>
              <td className="wrap-anywhere">{formatValue(value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
