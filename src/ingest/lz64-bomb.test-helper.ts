// Builds lz-string (lz64) payloads that expand enormously, for the decompression-cap tests.

const LZ64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';

/**
 * lz64 for a run of "a" written directly (compressing a huge string with lz-string is slow):
 * the literal "a", then `codes` references to the entry being created, each one character longer
 * than the last, so the output has (codes + 1) * (codes + 2) / 2 characters.
 */
export function lz64Bomb(codes: number): string {
  const bits: number[] = [];
  const write = (value: number, count: number) => {
    for (let n = 0; n < count; n++) bits.push(Math.floor(value / 2 ** n) % 2);
  };
  write(0, 2);
  write(97, 8);
  let dictSize = 4;
  let numBits = 3;
  let enlargeIn = 4;
  for (let i = 0; i < codes; i++) {
    write(dictSize++, numBits);
    if (--enlargeIn === 0) enlargeIn = 2 ** numBits++;
  }
  write(2, numBits);
  while (bits.length % 6 !== 0) bits.push(0);
  let out = '';
  for (let i = 0; i < bits.length; i += 6) {
    out += LZ64_ALPHABET[bits.slice(i, i + 6).reduce((acc, bit) => acc * 2 + bit, 0)];
  }
  // The decoder reads one value ahead.
  return `${out}AAAA`;
}
