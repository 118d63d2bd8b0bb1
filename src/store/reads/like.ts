// Patterns for the dialect's ilike hook, whose escape character is '!'.

export function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (c) => `!${c}`);
}

/** Matches text containing `text` anywhere. */
export const containing = (text: string): string => `%${escapeLike(text)}%`;
