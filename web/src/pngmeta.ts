// Reads the text chunks ComfyUI and sumi write into PNGs (tEXt "prompt" and
// "workflow"; iTXt as newer tools write it) without decoding the image.

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/** Error for bytes that are not a readable PNG. */
export class PngError extends Error {
  constructor(message: string) {
    super("pngmeta: " + message);
    this.name = "PngError";
  }
}

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8");

async function inflate(data: Uint8Array): Promise<Uint8Array> {
  const ds = new DecompressionStream("deflate");
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(ds);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Returns keyword -> text for every tEXt, zTXt and iTXt chunk before IEND. */
export async function readPngText(bytes: Uint8Array): Promise<Record<string, string>> {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw new PngError("not a PNG file");
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Record<string, string> = {};
  let off = 8;
  while (off + 8 <= bytes.length) {
    const len = dv.getUint32(off);
    const type = latin1.decode(bytes.subarray(off + 4, off + 8));
    const start = off + 8;
    const end = start + len;
    if (end + 4 > bytes.length) throw new PngError(`chunk ${type} runs past the end of the file`);
    const data = bytes.subarray(start, end);
    if (type === "tEXt") {
      const z = data.indexOf(0);
      // ComfyUI writes ASCII JSON; decoding as UTF-8 also reads writers that put raw UTF-8 here.
      if (z > 0) out[latin1.decode(data.subarray(0, z))] = utf8.decode(data.subarray(z + 1));
    } else if (type === "zTXt") {
      const z = data.indexOf(0);
      if (z > 0 && data[z + 1] === 0) out[latin1.decode(data.subarray(0, z))] = latin1.decode(await inflate(data.subarray(z + 2)));
    } else if (type === "iTXt") {
      const k = data.indexOf(0);
      if (k > 0) {
        const compressed = data[k + 1] === 1;
        const lang = data.indexOf(0, k + 3);
        const trans = lang < 0 ? -1 : data.indexOf(0, lang + 1);
        if (trans >= 0) {
          const text = data.subarray(trans + 1);
          out[latin1.decode(data.subarray(0, k))] = utf8.decode(compressed ? await inflate(text) : text);
        }
      }
    } else if (type === "IEND") {
      break;
    }
    off = end + 4;
  }
  return out;
}
