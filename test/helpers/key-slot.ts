/**
 * The Redis Cluster slot of a key (the cluster spec's algorithm): CRC16-XMODEM of the key, or of
 * its hash tag, the part between the first `{` and the next `}` when that part is not empty,
 * modulo 16384. Keys one command, script or MULTI touches must share a slot.
 */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(key, 'utf8')) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
