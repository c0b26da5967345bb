// The services every page module is handed by the page router. A file of its own so that the router
// imports the page modules and the page modules import this type, never each other.
import type { ComplaintService } from '../complaints/service.js';
import type { OffsetService } from '../offsets/service.js';
import type { CompensationService } from '../compensations/service.js';
import type { OwnerService } from '../owner/service.js';
import type { AttachmentService } from '../attachments/service.js';

export interface PageServices {
  complaints: ComplaintService;
  offsets: OffsetService;
  compensations: CompensationService;
  owner: OwnerService;
  attachments: AttachmentService;
}
