/** Child for the decode-limit test: decodes one image with a pixel limit, prints the outcome and its memory. */
import { decodeImage } from '../../src/core/image-io.js';

const [file, limit] = process.argv.slice(2);
let outcome = 'decoded';
try {
  await decodeImage(file!, file, limit === 'default' ? {} : { maxPixels: Number(limit) });
} catch (err) {
  outcome = (err as { code?: string }).code ?? 'uncoded';
}
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
console.log(
  JSON.stringify({
    outcome,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    rssAfterMb: mb(process.memoryUsage().rss),
  }),
);
