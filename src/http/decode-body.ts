// Decodes the JSON a PostHog SDK request body carries, however it is encoded, following
// PostHog's capture service (spec 2.2): data= param or body, strict base64, urlencoded forms,
// compression hints, gzip by magic bytes whatever the hints, lz-string when hinted. Capture
// (ingest/decode-request.ts) and /flags (flags/flag-endpoints.ts) both read bodies this way.
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import { isMainThread } from 'node:worker_threads';
import { HttpError } from '../errors.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH, TOO_DEEP_MESSAGE } from '../json-depth.js';

const gunzip = promisify(zlib.gunzip);
const gunzipSync = zlib.gunzipSync;

export interface EncodedBody {
  readonly body: Buffer;
  /** Parsed query string; repeated parameters may be arrays. */
  readonly query: Record<string, unknown>;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  /** Largest payload accepted, also after decompression, in bytes. */
  readonly limit: number;
}

type Compression = 'gzip' | 'lz64' | 'base64' | undefined;

function compressionHint(value: string | null | undefined): Compression {
  switch ((value ?? '').trim().toLowerCase()) {
    case 'gzip':
    case 'gzip-js':
      return 'gzip';
    case 'lz64':
    case 'lz-string':
      return 'lz64';
    case 'base64':
    case 'b64':
      return 'base64';
    default:
      return undefined;
  }
}

const STRICT_BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const isGzip = (bytes: Buffer): boolean => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
const looksLikeJson = (text: string): boolean => /^\s*[[{]/.test(text);

/** First non-blank byte is "{" or "[" (after an optional UTF-8 byte order mark). */
function startsLikeJson(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x7b || b === 0x5b) return true;
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && !(i < 3 && (b === 0xef || b === 0xbb || b === 0xbf))) return false;
  }
  return false;
}

function looksBase64(text: string): boolean {
  const trimmed = text.trim();
  return trimmed.length >= 4 && trimmed.length % 4 === 0 && STRICT_BASE64.test(trimmed);
}

/**
 * URL decoding (query strings and forms) turns "+" into a space; base64 and lz64 payloads need
 * them back. JSON is left alone: it has characters outside the base64 alphabet.
 */
function restorePlus(value: string): string {
  return value.includes(' ') && /^[A-Za-z0-9+/= ]+$/.test(value) ? value.replaceAll(' ', '+') : value;
}

/** Repeated query parameters arrive as arrays: the first one counts. */
export function firstValue(value: unknown): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

function tooLarge(limit: number): HttpError {
  return new HttpError('payload_too_large', `Request payload is larger than the limit of ${limit} bytes.`);
}

async function inflate(bytes: Buffer, limit: number): Promise<Buffer> {
  try {
    // maxOutputLength stops a gzip bomb before it fills memory. A decoding worker inflates in
    // place: it has nothing else to do meanwhile, and a trip through libuv's thread pool costs
    // two thread switches per request. The main thread (/flags bodies) must not block.
    if (!isMainThread) return gunzipSync(bytes, { maxOutputLength: limit });
    return await gunzip(bytes, { maxOutputLength: limit });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limit);
    throw new HttpError('malformed_body', 'Request body is not valid gzip.');
  }
}

const LZ64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';
const LZ64_VALUES = new Map([...LZ64_ALPHABET].map((char, index) => [char, index]));

/**
 * lz-string's decompressFromBase64, stopping as soon as the output passes `limit`: a few kB of
 * lz-string can expand to gigabytes, and the library has no cap. Same bit format and dictionary
 * rules as lz-string 1.5 (`_decompress` with 6-bit input values). Returns undefined when invalid.
 */
function lz64Decompress(input: string, limit: number): string | undefined {
  if (input === '') return undefined;
  const valueAt = (i: number) => LZ64_VALUES.get(input.charAt(i)) ?? 0;
  // Bits are read from the most significant of each 6-bit value; the next value is loaded eagerly.
  let value = valueAt(0);
  let position = 32;
  let index = 1;
  const readBits = (count: number): number => {
    let bits = 0;
    for (let n = 0, power = 1; n < count; n++, power *= 2) {
      if (value & position) bits += power;
      position >>= 1;
      if (position === 0) {
        position = 32;
        value = valueAt(index++);
      }
    }
    return bits;
  };

  const dictionary: string[] = [];
  let dictSize = 4;
  let numBits = 3;
  let enlargeIn = 4;
  const first = readBits(2);
  if (first > 1) return undefined;
  let previous = String.fromCharCode(readBits(first === 0 ? 8 : 16));
  dictionary[3] = previous;
  const parts = [previous];
  let length = previous.length;
  for (;;) {
    // lz-string reads one value ahead: past the end of the input means truncated data.
    if (index > input.length) return undefined;
    let code = readBits(numBits);
    if (code === 2) return parts.join('');
    if (code === 0 || code === 1) {
      dictionary[dictSize++] = String.fromCharCode(readBits(code === 0 ? 8 : 16));
      code = dictSize - 1;
      if (--enlargeIn === 0) enlargeIn = 2 ** numBits++;
    }
    let entry = dictionary[code];
    if (entry === undefined) {
      if (code !== dictSize) return undefined;
      entry = previous + previous.charAt(0);
    }
    length += entry.length;
    // UTF-8 never takes fewer bytes than UTF-16 code units, so this is a safe early stop.
    if (length > limit) throw tooLarge(limit);
    parts.push(entry);
    dictionary[dictSize++] = previous + entry.charAt(0);
    previous = entry;
    if (--enlargeIn === 0) enlargeIn = 2 ** numBits++;
  }
}

function decodeLz64(text: string, limit: number): Buffer {
  const decoded = lz64Decompress(text.trim(), limit);
  if (!decoded) throw new HttpError('malformed_body', 'Request body is not valid lz-string (lz64) data.');
  const bytes = Buffer.from(decoded, 'utf8');
  if (bytes.length > limit) throw tooLarge(limit);
  return bytes;
}

const MAX_LAYERS = 4;

/**
 * The JSON a PostHog SDK request carries, whatever its encoding (also used by /flags and
 * /decide, whose bodies come in the same encodings).
 */
export async function decodeJsonPayload(request: EncodedBody): Promise<unknown> {
  const { limit } = request;
  const query = (name: string) => firstValue(request.query[name]);
  const dataParam = query('data');
  let bytes: Buffer = dataParam ? Buffer.from(restorePlus(dataParam), 'utf8') : request.body;
  if (bytes.length === 0) throw new HttpError('no_events', 'The request has no body and no data parameter.');
  if (bytes.length > limit) throw tooLarge(limit);

  const isForm = !dataParam && (request.contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
  let hint = compressionHint(query('compression')) ?? compressionHint(request.contentEncoding);

  if (isForm && !isGzip(bytes)) {
    // Forms are UTF-8 (as browsers send them); `data` holds JSON, base64 or lz64.
    const text = bytes.toString('utf8');
    const form = new URLSearchParams(text);
    const data = form.get('data');
    if (data !== null) {
      hint = compressionHint(query('compression')) ?? compressionHint(form.get('compression')) ?? hint;
      bytes = Buffer.from(restorePlus(data), 'utf8');
    } else if (!looksLikeJson(text)) {
      // A JSON body under a form content type (some proxies) is read as JSON.
      throw new HttpError('malformed_body', 'The form body has no "data" field.');
    }
  }

  // Gzip by magic bytes whatever the hint; lz64 only when hinted; base64 when hinted or when the
  // whole payload is strict base64 (possibly twice, or around gzip, for legacy SDKs).
  let lzPending = hint === 'lz64';
  let base64Hinted = hint === 'base64';
  for (let layer = 0; layer < MAX_LAYERS; layer++) {
    if (isGzip(bytes)) {
      bytes = await inflate(bytes, limit);
      continue;
    }
    // Plain JSON (the common case after gunzip) starts with "{" or "[": no text copy needed.
    if (!lzPending && startsLikeJson(bytes)) break;
    const text = bytes.toString('latin1');
    if (lzPending) {
      lzPending = false;
      bytes = decodeLz64(text, limit);
      continue;
    }
    if (looksBase64(text) || (base64Hinted && !looksLikeJson(text))) {
      base64Hinted = false;
      bytes = Buffer.from(text.trim(), 'base64');
      continue;
    }
    break;
  }

  let parsed: unknown;
  try {
    // A UTF-8 byte order mark (EF BB BF) is not JSON: skip it.
    const start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    parsed = JSON.parse(bytes.toString('utf8', start));
  } catch {
    throw new HttpError('malformed_body', 'Request body is not valid JSON (after decoding).');
  }
  if (jsonDepthExceeds(parsed, MAX_JSON_DEPTH)) throw new HttpError('malformed_body', TOO_DEEP_MESSAGE);
  return parsed;
}
