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
