// What a file really is, and making it safe to keep: the type is detected from the bytes (file-type),
// never from the name or the declared type, so an HTML page, an SVG or a program renamed photo.jpg is
// refused. Images are decoded and written again (sharp) without their metadata, so EXIF (GPS position,
// camera serial, time) is gone from what we store, and get a thumbnail. A PDF is kept as it came; a HEIC
// photo is converted to JPEG when the image library can decode it and kept as it came otherwise (the
// prebuilt sharp has no HEVC decoder: see the README).
import { createHash } from 'node:crypto';
import { fileTypeFromBuffer } from 'file-type';
import type { Sharp, SharpOptions } from 'sharp';

// sharp (libvips) is loaded on the first image, not at start: a process that never receives a photo
// (the billing service, the counter's list) does not carry its native memory.
type SharpFactory = (data: Buffer, options?: SharpOptions) => Sharp;
let loading: Promise<SharpFactory> | null = null;
async function sharp(data: Buffer, options?: SharpOptions): Promise<Sharp> {
  loading ??= import('sharp').then((m) => m.default as unknown as SharpFactory);
  return (await loading)(data, options);
}
import type { FieldError } from '../common/errors.js';
import { emptyFile, tooLarge, tooManyFiles, unreadableImage, wrongType } from './messages.js';
import { KINDS, type AttachmentKind, type IncomingFile, type PreparedFile } from './types.js';

export interface AttachmentLimits {
  maxBytes: number;
  maxFiles: number;
  kinds: readonly AttachmentKind[];
}

/** Thumbnails fit in this square (CSS shows them at 160 px; twice that for high-density screens). */
export const THUMBNAIL_PX = 320;
/** A decoded image larger than this many pixels is refused (a "decompression bomb" of a few KB). */
const MAX_PIXELS = 50_000_000;

/** The kind of a file from its first bytes; null when it is none we know. `found` names what it is. */
export async function detectKind(data: Buffer): Promise<{ kind: AttachmentKind | null; found: string | null }> {
  const type = await fileTypeFromBuffer(data);
  if (!type) return { kind: null, found: null };
  const byMime: Record<string, AttachmentKind> = {
    'image/jpeg': 'jpeg',
    'image/png': 'png',
    'image/webp': 'webp',
    'image/heic': 'heic',
    'image/heif': 'heic',
    'image/heic-sequence': 'heic',
    'image/heif-sequence': 'heic',
    'application/pdf': 'pdf',
  };
  return { kind: byMime[type.mime] ?? null, found: `${type.ext} (${type.mime})` };
}

/** A display name: no folders, no control characters, at most 200 characters, ending in the real type's extension. */
export function cleanFileName(name: string, ext: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  const base = (name.split(/[\\/]/).pop() ?? '').replace(/[\u0000-\u001f\u007f"<>|:*?]/g, '').trim();
  const stem = (base.includes('.') ? base.slice(0, base.lastIndexOf('.')) : base).slice(0, 180) || 'file';
  return `${stem}.${ext}`;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function thumbnailOf(data: Buffer): Promise<Buffer> {
  return (await sharp(data)).resize(THUMBNAIL_PX, THUMBNAIL_PX, { fit: 'inside', withoutEnlargement: true }).jpeg({ quality: 75 }).toBuffer();
}

/**
 * Decodes and re-encodes an image: turned upright by its EXIF orientation first, then written without
 * any metadata (sharp keeps none unless asked). Returns null when the bytes cannot be decoded.
 */
async function reencode(data: Buffer, kind: AttachmentKind): Promise<{ data: Buffer; kind: AttachmentKind; width: number; height: number } | null> {
  try {
    const image = (await sharp(data, { failOn: 'error', limitInputPixels: MAX_PIXELS })).rotate();
    const out =
      kind === 'png'
        ? image.png({ compressionLevel: 8 })
        : kind === 'webp'
          ? image.webp({ quality: 85 })
          : // JPEG, and HEIC converted to JPEG (browsers other than Safari cannot show HEIC).
            image.jpeg({ quality: 88 });
    const { data: written, info } = await out.toBuffer({ resolveWithObject: true });
    return { data: written, kind: kind === 'heic' ? 'jpeg' : kind, width: info.width, height: info.height };
  } catch {
    return null;
  }
}

/**
 * Checks each file against the limits and its content and prepares the good ones. Nothing is stored:
 * the caller decides whether to go on (a form with any rejected file stores none, so the person can
 * choose again knowing exactly which file was refused and why). Errors are at each file's field.
 */
export async function prepareFiles(files: IncomingFile[], limits: AttachmentLimits): Promise<{ prepared: PreparedFile[]; errors: FieldError[] }> {
  const errors: FieldError[] = [];
  const prepared: PreparedFile[] = [];
  const extra = files.slice(limits.maxFiles);
  if (extra.length)
    errors.push(
      tooManyFiles(
        extra[0]!.field,
        extra.map((f) => f.fileName || '?'),
        limits.maxFiles,
      ),
    );
  for (const file of files.slice(0, limits.maxFiles)) {
    const name = file.fileName || '?';
    if (file.truncated || file.data.length > limits.maxBytes) {
      errors.push(tooLarge(file.field, name, limits.maxBytes));
      continue;
    }
    if (file.data.length === 0) {
      errors.push(emptyFile(file.field, name));
      continue;
    }
    const { kind, found } = await detectKind(file.data);
    if (!kind || !limits.kinds.includes(kind)) {
      errors.push(wrongType(file.field, name, limits.kinds, found));
      continue;
    }
    if (!KINDS[kind].image || kind === 'heic') {
      const converted = kind === 'heic' ? await reencode(file.data, kind) : null;
      if (converted) {
        prepared.push(await asPrepared(file, converted.kind, converted.data, converted.width, converted.height, 'reencoded'));
        continue;
      }
      // PDF, or HEIC the image library cannot decode: kept byte for byte, no thumbnail.
      prepared.push({
        field: file.field,
        fileName: cleanFileName(name, KINDS[kind].ext),
        kind,
        mime: KINDS[kind].mime,
        data: file.data,
        sha256: sha256(file.data),
        width: null,
        height: null,
        processing: 'as_uploaded',
        thumbnail: null,
      });
      continue;
    }
    const image = await reencode(file.data, kind);
    if (!image) {
      errors.push(unreadableImage(file.field, name));
      continue;
    }
    prepared.push(await asPrepared(file, image.kind, image.data, image.width, image.height, 'reencoded'));
  }
  return { prepared, errors };
}

async function asPrepared(
  file: IncomingFile,
  kind: AttachmentKind,
  data: Buffer,
  width: number,
  height: number,
  processing: 'reencoded' | 'as_uploaded',
): Promise<PreparedFile> {
  return {
    field: file.field,
    fileName: cleanFileName(file.fileName || 'photo', KINDS[kind].ext),
    kind,
    mime: KINDS[kind].mime,
    data,
    sha256: sha256(data),
    width,
    height,
    processing,
    thumbnail: await thumbnailOf(data),
  };
}

export function limitsFrom(settings: { attachmentMaxBytes: number; attachmentMaxFiles: number; attachmentTypes: readonly AttachmentKind[] }): AttachmentLimits {
  return { maxBytes: settings.attachmentMaxBytes, maxFiles: settings.attachmentMaxFiles, kinds: settings.attachmentTypes };
}
