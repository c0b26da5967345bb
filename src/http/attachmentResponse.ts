// Serving an attachment's bytes so that nothing in them can run: the type we detected (never the
// uploader's), nosniff, a CSP that forbids scripts and sandboxes the document, images inline and
// everything else (PDF, HEIC) as a download, never cached by shared caches.
import type { Context } from 'koa';
import type { AttachmentContent } from '../attachments/types.js';

export const ATTACHMENT_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox";

/** RFC 6266 / 5987: an ASCII fallback and the UTF-8 name (Chinese file names survive). */
export function contentDisposition(kind: 'inline' | 'attachment', fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

export function sendAttachment(ctx: Context, content: AttachmentContent, options: { download?: boolean } = {}): void {
  // Tells the page middleware not to put its own CSP over ours.
  ctx.state.attachmentResponse = true;
  ctx.status = 200;
  ctx.type = content.mime;
  ctx.set('Content-Disposition', contentDisposition(content.inline && !options.download ? 'inline' : 'attachment', content.fileName));
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Content-Security-Policy', ATTACHMENT_CSP);
  ctx.set('Cross-Origin-Resource-Policy', 'same-origin');
  ctx.set('Cache-Control', 'private, no-store');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.body = content.data;
}
