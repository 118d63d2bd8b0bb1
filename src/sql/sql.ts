// SQL fragments that keep user values out of the SQL text: every interpolated value becomes a
// parameter, and only other fragments (built by the compiler) are spliced in.

/** A statement ready for the engine: its text, with the dialect's placeholders, and the parameters in order. */
export interface CompiledSql {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** How an engine writes the index-th parameter (from 0) in SQL text (see Dialect.placeholder). */
export interface Placeholders {
  placeholder(index: number, value: unknown): string;
}

export class Sql {
  constructor(
    readonly strings: readonly string[],
    readonly values: readonly unknown[],
  ) {}

  /** The statement with the dialect's placeholders; frozen, as the engine takes it. */
  build(dialect: Placeholders): CompiledSql {
    const params: unknown[] = [];
    const text = render(this, params, dialect);
    return Object.freeze({ sql: text, params: Object.freeze(params) });
  }
}

function render(fragment: Sql, params: unknown[], dialect: Placeholders): string {
  let text = fragment.strings[0];
  fragment.values.forEach((value, i) => {
    if (value instanceof Sql) text += render(value, params, dialect);
    else {
      text += dialect.placeholder(params.length, value);
      params.push(value);
    }
    text += fragment.strings[i + 1];
  });
  return text;
}

/** Tagged template: `sql\`a = ${value}\`` makes value a parameter; Sql values are spliced. */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  return new Sql([...strings], values);
}

/** Trusted SQL text (identifiers and keywords chosen by the compiler, never user input). */
export function raw(text: string): Sql {
  return new Sql([text], []);
}

export function join(fragments: readonly Sql[], separator: string): Sql {
  if (fragments.length === 0) return raw('');
  const strings = ['', ...fragments.slice(1).map(() => separator), ''];
  return new Sql(strings, fragments);
}

export const and = (fragments: readonly Sql[]): Sql => (fragments.length === 0 ? raw('TRUE') : sql`(${join(fragments, ' AND ')})`);
export const or = (fragments: readonly Sql[]): Sql => (fragments.length === 0 ? raw('FALSE') : sql`(${join(fragments, ' OR ')})`);
