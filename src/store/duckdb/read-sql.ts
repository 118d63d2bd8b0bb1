// SQL text shared by the DuckDB store's reads (never values: those are always parameters).

/** Case-insensitive LIKE with '!' as the escape character (see escapeLike). */
export const ILIKE = "ILIKE ? ESCAPE '!'";

/** Current person of each event: the stored person id, followed through merges. */
export const PERSON_OF_EVENT = 'coalesce(o.new_person_id, e.person_id)';
export const PERSON_OVERRIDES_JOIN = 'LEFT JOIN person_overrides o ON o.project_id = e.project_id AND o.old_person_id = e.person_id';

export function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (c) => `!${c}`);
}
