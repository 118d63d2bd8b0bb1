// Runs compiled SQL on ClickHouse in-process (a chdb Session), for tests: the parameters bound by
// name, the dialect's settings on every query, rows as objects with values as DuckDB's store gives
// them (numbers, strings, booleans, Dates, null). Not a store: no writes, no pooling.
import type { Session } from 'chdb';
import type { CompiledSql } from '../../sql/sql.js';
import { CLICKHOUSE_QUERY_SETTINGS, namedParameters } from './clickhouse-dialect.js';
import { schemaStatements } from './schema.js';

export type Row = Record<string, unknown>;

/**
 * How results are written: 64-bit integers as strings (JSON numbers lose digits past 2^53), NaN
 * and infinities as strings (else they read as null), times in ISO 8601 UTC.
 */
const OUTPUT_SETTINGS = { output_format_json_quote_64bit_integers: 1, output_format_json_quote_denormals: 1, date_time_output_format: 'iso' } as const;
const DENORMALS: Record<string, number> = { nan: NaN, '-nan': NaN, inf: Infinity, '+inf': Infinity, '-inf': -Infinity };

// chdb keeps a query's settings for the next ones in its session: every query carries them all.
const SETTINGS = Object.entries({ ...CLICKHOUSE_QUERY_SETTINGS, ...OUTPUT_SETTINGS })
  .map(([name, value]) => `${name} = ${typeof value === 'number' ? value : `'${value}'`}`)
  .join(', ');

export function runQuery(session: Session, query: CompiledSql): Row[] {
  // JSONEachRow with the names and types ahead of the rows: the types say what a value is.
  const text = session.queryBind(`${query.sql}\nSETTINGS ${SETTINGS}`, namedParameters(query.params), 'JSONCompactEachRowWithNamesAndTypes');
  const [names, types, ...rows] = text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown[]);
  return rows.map((row) => Object.fromEntries(row.map((value, i) => [names[i] as string, fromJson(value, types[i] as string)])));
}

/** Creates the ClickHouse tables (schema.ts). */
export function createTables(session: Session): void {
  for (const statement of schemaStatements) session.query(statement);
}

/** The type without its LowCardinality and Nullable wrappers. */
function valueType(type: string): string {
  const wrapped = /^(?:LowCardinality|Nullable)\((.*)\)$/.exec(type);
  return wrapped ? valueType(wrapped[1]) : type;
}

function fromJson(value: unknown, type: string): unknown {
  if (value === null) return null;
  const t = valueType(type);
  const array = /^Array\((.*)\)$/.exec(t);
  if (array && Array.isArray(value)) return value.map((v) => fromJson(v, array[1]));
  if (t === 'Int64' || t === 'UInt64') {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : BigInt(value as string);
  }
  if ((t === 'Float64' || t === 'Float32') && typeof value === 'string') return DENORMALS[value] ?? Number(value);
  if (/^DateTime(64)?(\(|$)/.test(t)) return new Date(value as string);
  if (t === 'Date' || t === 'Date32') return new Date(`${value as string}T00:00:00Z`);
  return value;
}
