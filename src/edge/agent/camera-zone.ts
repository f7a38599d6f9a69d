/**
 * A camera's zone: a polygon in frame fractions (0..1, x to the right, y down). Faces whose box centre lies
 * outside it are ignored (not classified, tracked or reported). Pure; the ray-casting point-in-polygon test.
 */
import type { Box } from '../../core/image-io.js';

export type ZonePolygon = readonly (readonly [number, number])[];

/** Whether point (x, y) lies inside the polygon (even-odd rule; points on an edge may go either way). */
export function pointInPolygon(x: number, y: number, polygon: ZonePolygon): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Whether a face box (pixels) has its centre inside the zone of a frame of this size. */
export function boxInZone(box: Box, frame: { width: number; height: number }, zone: ZonePolygon): boolean {
  const cx = (box.x + box.width / 2) / frame.width;
  const cy = (box.y + box.height / 2) / frame.height;
  return pointInPolygon(cx, cy, zone);
}

/** The polygon in pixels of a frame of this size (for drawing). */
export function zoneInPixels(
  zone: ZonePolygon,
  frame: { width: number; height: number },
): [number, number][] {
  return zone.map(([x, y]) => [x * frame.width, y * frame.height]);
}
