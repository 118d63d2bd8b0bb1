// How deeply JSON may nest in any request body: as PostHog's capture (serde_json's recursion
// limit). Deeper values overflow the stack wherever they are walked later: validated, copied
// between threads, encoded into storage, read back out through the API.

export const MAX_JSON_DEPTH = 128;

/** The deepest nesting of objects and arrays in JSON text (as UTF-8 bytes), brackets inside strings aside. */
export function jsonNestingDepth(bytes: Uint8Array): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === 0x5c) i++; // backslash: skip the escaped character
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x7b || byte === 0x5b) {
      if (++depth > deepest) deepest = depth;
    } else if (byte === 0x7d || byte === 0x5d) {
      depth--;
    }
  }
  return deepest;
}

export const TOO_DEEP_MESSAGE = `Request body nests JSON deeper than ${MAX_JSON_DEPTH} levels.`;

/**
 * Whether a parsed JSON value nests objects and arrays deeper than `max` (the value itself is
 * level 1 when it is one). V8's JSON.parse does not recurse, so a deep body parses; this walk
 * stops one level past `max`, so it never recurses deeper than that either. Cheaper than
 * scanning the text: it looks at values, not at every byte of every string.
 */
export function jsonDepthExceeds(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (max <= 0) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (item !== null && typeof item === 'object' && jsonDepthExceeds(item, max - 1)) return true;
    return false;
  }
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== null && typeof item === 'object' && jsonDepthExceeds(item, max - 1)) return true;
  }
  return false;
}
