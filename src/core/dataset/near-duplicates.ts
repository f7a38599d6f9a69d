/**
 * Near-duplicate photos: a difference hash (dHash) per photo and grouping of photos whose hashes differ in few
 * bits, so a re-encoded, resized, watermarked or lightly cropped copy of a photo (or the next frame of the same
 * shot) lands in the same split as the original.
 *
 * dHash: the photo in greyscale, resized to (N+1) x N, one bit per pixel pair "left brighter than right" —
 * N = 16 gives 256 bits. Measured on the shared data (kaggle-face-mask + ilc-face-mask + maskedface-net, 1,977
 * photos): re-encoded copies differ in 0-7 bits, a watermarked copy in 11, other shots of the same scene in
 * 14-31, while two different aligned MaskedFace-Net faces never came closer than 53 and different studio
 * portraits than 39. The default threshold, 32 bits (12.5%), sits between the two.
 */
import sharp from 'sharp';

/** Side of the hash grid: N x N bits. */
export const DHASH_SIDE = 16;
/** Default largest Hamming distance (of DHASH_SIDE^2 = 256 bits) at which two photos count as near copies. */
export const NEAR_DUPLICATE_MAX_DISTANCE = 32;

/**
 * A photo whose hash has fewer bits set than this (a flat or nearly flat picture: a solid colour, a blank
 * frame) carries too little structure to compare; it is grouped by its bytes only. Real photos of the shared
 * data set 29-174 of 256 bits.
 */
export const MIN_STRUCTURE_BITS = 16;

const WORDS = (DHASH_SIDE * DHASH_SIDE) / 32;

/** A 256-bit difference hash, as 8 unsigned 32-bit words. */
export type DifferenceHash = Uint32Array;

/** The difference hash of an image file (or encoded image buffer). Decoding uses JPEG shrink-on-load. */
export async function differenceHash(input: string | Buffer): Promise<DifferenceHash> {
  const data = await sharp(input, { failOn: 'none' })
    .rotate()
    .greyscale()
    .resize(DHASH_SIDE + 1, DHASH_SIDE, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer();
  const bits = new Uint32Array(WORDS);
  const stride = DHASH_SIDE + 1;
  for (let y = 0; y < DHASH_SIDE; y++) {
    for (let x = 0; x < DHASH_SIDE; x++) {
      if ((data[y * stride + x] ?? 0) > (data[y * stride + x + 1] ?? 0)) {
        const i = y * DHASH_SIDE + x;
        bits[i >>> 5] = ((bits[i >>> 5] ?? 0) | (1 << (i & 31))) >>> 0;
      }
    }
  }
  return bits;
}

function popcount32(v: number): number {
  let x = v - ((v >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Number of differing bits between two hashes. */
export function hammingDistance(a: DifferenceHash, b: DifferenceHash): number {
  let d = 0;
  for (let w = 0; w < WORDS; w++) d += popcount32(((a[w] ?? 0) ^ (b[w] ?? 0)) >>> 0);
  return d;
}

/** Bits set in a hash: how much left-to-right structure the picture has. */
export function structureBits(h: DifferenceHash): number {
  let n = 0;
  for (let w = 0; w < WORDS; w++) n += popcount32(h[w] ?? 0);
  return n;
}

/** One set of near-identical photos (two or more), with the largest distance between linked members. */
export interface NearDuplicateGroup {
  /** Member keys (e.g. photo paths), sorted. */
  members: string[];
  /** Largest Hamming distance of a link that joined the group (0 = pixel-identical at hash resolution). */
  maxDistance: number;
}

/**
 * Groups keys whose hashes are within `maxDistance` bits, transitively (single linkage: A~B and B~C put A, B
 * and C together). Every pair is compared (n^2/2 comparisons of 8 words: about 2 M pairs for 2,000 photos, a
 * few tens of milliseconds). Hashes with fewer than MIN_STRUCTURE_BITS bits set are left out (flat pictures
 * all hash alike). Returns only groups of two or more, ordered by their first member.
 */
export function groupNearDuplicates(
  hashes: ReadonlyMap<string, DifferenceHash>,
  maxDistance: number = NEAR_DUPLICATE_MAX_DISTANCE,
): NearDuplicateGroup[] {
  const keys = [...hashes.keys()]
    .filter((k) => structureBits(hashes.get(k) as DifferenceHash) >= MIN_STRUCTURE_BITS)
    .sort();
  const parent = keys.map((_, i) => i);
  const find = (i: number): number => {
    let r = i;
    while (parent[r] !== r) r = parent[r] as number;
    let j = i;
    while (parent[j] !== r) {
      const next = parent[j] as number;
      parent[j] = r;
      j = next;
    }
    return r;
  };
  const linkDistance = new Map<number, number>();
  const list = keys.map((k) => hashes.get(k) as DifferenceHash);
  for (let i = 0; i < list.length; i++) {
    const a = list[i] as DifferenceHash;
    for (let j = i + 1; j < list.length; j++) {
      const d = hammingDistance(a, list[j] as DifferenceHash);
      if (d > maxDistance) continue;
      const ri = find(i);
      const rj = find(j);
      const root = Math.min(ri, rj);
      const worst = Math.max(d, linkDistance.get(ri) ?? 0, linkDistance.get(rj) ?? 0);
      parent[ri] = root;
      parent[rj] = root;
      linkDistance.set(root, worst);
    }
  }
  const members = new Map<number, string[]>();
  keys.forEach((k, i) => {
    const r = find(i);
    const m = members.get(r) ?? [];
    m.push(k);
    members.set(r, m);
  });
  return [...members.entries()]
    .filter(([, m]) => m.length > 1)
    .map(([root, m]) => ({ members: m, maxDistance: linkDistance.get(root) ?? 0 }))
    .sort((a, b) => ((a.members[0] ?? '') < (b.members[0] ?? '') ? -1 : 1));
}
