// Public API for Node/Koa hosts.
export { createComplaintsPlugin, type ComplaintsPlugin, type ComplaintsPluginOptions } from './plugin/createPlugin.js';
export { inProcessAuth, signedHeaderAuth, signUserToken, firstOf, type AuthAdapter } from './auth/adapter.js';
export { signOwnerToken, verifyOwnerToken, OWNER_HEADER } from './auth/ownerToken.js';
export type { Actor } from './auth/actor.js';
export { validateMapping, loadMappingFile, type HostMapping } from './host/mapping.js';
export { checkHost, formatReport, type HostCheckReport } from './host/check.js';
export { createDb, parseDbUrl } from './db/connection.js';
export { ManualClock, systemClock, type Clock } from './clock.js';
export { createAttachmentService, type AttachmentService, type AttachTarget, type AttachOptions, type OwnerActor } from './attachments/service.js';
export { DatabaseBlobStore, DirectoryBlobStore, newStorageKey, type AttachmentStore } from './attachments/store/blobStore.js';
export type { Attachment, AttachmentContent, AttachmentStep, IncomingFile, PreparedFile } from './attachments/types.js';
export type { Visibility } from './complaints/visibility.js';
