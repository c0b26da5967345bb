// The complaint as the domain sees it, and the typed inputs of every command (validated by schemas.ts).
import type { CancelKind, Channel, ComplainantRelation, DisputeType, FollowUpMethod, Nature, Severity, ThirdParty } from './vocabulary.js';
import type { ComplaintState } from './states.js';
import type { Visibility } from './visibility.js';

export interface Complaint {
  id: number;
  code: string;
  version: number;
  state: ComplaintState;
  /** Null for a public-area complaint (公共区域): it names a community, perhaps a building, and a location. */
  unitId: string | null;
  /** Host data copied at intake, for the printed slip and text search without reading the host; for a public area, where it is. */
  unitLabel: string;
  /** Public area only: the building (free text) and the place (大堂, 地下车库 B2 区). Optional in hand-built fixtures. */
  building?: string | null;
  location?: string | null;
  ownerId: string | null;
  ownerName: string | null;
  communityId: string | null;
  complainantName: string;
  complainantPhone: string;
  complainantRelation: ComplainantRelation;
  channel: Channel;
  category: string;
  description: string;
  expectation: string | null;
  threatenedWithholding: boolean;
  receivedAt: Date;
  receivedBy: string;
  receivedByName: string;
  disputeType: DisputeType | null;
  thirdParty: ThirdParty | null;
  responsibilityExplained: boolean | null;
  nature: Nature | null;
  severity: Severity | null;
  findings: string | null;
  department: string | null;
  assigneeId: string | null;
  assigneeName: string | null;
  planMeasures: string | null;
  planDeadline: Date | null;
  resolutionReply: string | null;
  resolutionBasis: string | null;
  /**
   * Who may read the reply and its basis (owner-visible by default). Optional only so that complaints
   * built by hand (fixtures) may leave it out; read from the database it is always set.
   */
  replyVisibility?: Visibility;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  followUpDueAt: Date | null;
  closedAt: Date | null;
  cancelKind: CancelKind | null;
  cancelReason: string | null;
  cancelledAt: Date | null;
  /** The complaint this one continues (its follow-up was unsatisfied). */
  parentId: number | null;
  /** The incident (事件) this complaint belongs to. Optional in fixtures. */
  incidentId?: number | null;
  /** 12345 referrals (channel hotline_12345): the hotline's work-order number and its reply deadline. Optional in fixtures. */
  externalRef?: string | null;
  hotlineDueAt?: Date | null;
  /** The survivor this duplicate was merged into (state merged). Optional in hand-built fixtures. */
  mergedIntoId?: number | null;
  /** An earlier complaint of the same unit and category within the repeat window. */
  repeatOfId: number | null;
  escalatedAt: Date | null;
  escalationReason: string | null;
  /** Receipt time of the first complaint in the chain: escalation counts from here. */
  originalReceivedAt: Date;
  /**
   * The reply promised at receipt (replyPromiseHours of service time); null for complaints registered
   * before it was stored. Optional only so that complaints built by hand (fixtures) may leave it out.
   */
  replyDueAt?: Date | null;
  /** The promise as moved by pauses (the paused service time added); null: not moved. */
  replyDueEffectiveAt?: Date | null;
  /** The plan's deadline as moved by pauses made after the plan; null: not moved. */
  planDueEffectiveAt?: Date | null;
  /** The clock the deadlines count on (the deadline policy's); null: the service calendar's mode. */
  deadlineClock?: 'working' | 'calendar' | null;
  /** When the current pause began (挂起); null while the clock runs. */
  pausedAt?: Date | null;
  pauseReason?: string | null;
  pauseParty?: ThirdParty | null;
  /** Plain time of the closed pauses, in ms. */
  pausedMs?: number;
  /** Escalation age counts from here: the first receipt plus every closed pause. */
  escalationFrom?: Date | null;
  /** When the assignee accepted the job (接单); null while it waits. */
  acceptedAt?: Date | null;
  /** Deadline of the current stage (reply promise, plan deadline, follow-up due); null once closed. */
  dueAt: Date | null;
  createdAt: Date;
  createdBy: string;
  updatedAt: Date;
  updatedBy: string;
  updatedByName: string;
}

export interface FollowUp {
  id: number;
  complaintId: number;
  method: FollowUpMethod;
  visitorId: string;
  visitorName: string;
  visitedAt: Date;
  satisfied: boolean;
  complainantWords: string | null;
  /** A rating the owner gives themselves (1–5), kept apart from what staff record. */
  ownerRating: number | null;
  note: string | null;
  /** The new complaint opened because this visit was unsatisfied. */
  continuationId: number | null;
  createdAt: Date;
}

export interface ComplaintLink {
  id: number;
  code: string;
  state: ComplaintState;
  severity: Severity | null;
  receivedAt: Date;
}

export interface ComplaintDetail {
  complaint: Complaint;
  /** The whole continuation chain, first complaint first (contains this one). */
  chain: ComplaintLink[];
  repeatOf: ComplaintLink | null;
  repeatedBy: ComplaintLink[];
  followUps: FollowUp[];
  /** The incident (事件) this complaint belongs to. Optional in fixtures. */
  incidentId?: number | null;
  /** 12345 referrals (channel hotline_12345): the hotline's work-order number and its reply deadline. Optional in fixtures. */
  externalRef?: string | null;
  hotlineDueAt?: Date | null;
  /** The survivor this duplicate was merged into. */
  mergedInto?: ComplaintLink | null;
  /** Duplicates merged into this one, with whether their complainant was followed up yet. */
  mergedFrom?: Array<ComplaintLink & { complainantName: string; followedUp: boolean }>;
  /** Actions this actor may take now. */
  allowedActions: string[];
}

export interface CreateComplaintInput {
  /** A unit's complaint; or, for a public area, communityId and location (and perhaps building) instead. */
  unitId?: string;
  communityId?: string;
  building?: string;
  location?: string;
  /** Channel hotline_12345 only, and then both required: the hotline's work-order number and reply deadline. */
  externalRef?: string;
  hotlineDueAt?: string;
  ownerId?: string;
  complainantName: string;
  complainantPhone: string;
  complainantRelation: ComplainantRelation;
  channel: Channel;
  category: string;
  description: string;
  expectation?: string;
  threatenedWithholding: boolean;
  receivedAt?: string;
  severity?: Severity;
  idempotencyKey?: string;
}

interface Versioned {
  version: number;
  note?: string;
  /** Who may read the note: internal unless chosen otherwise. */
  noteVisibility?: Visibility;
}

export interface StartInvestigationInput extends Versioned {
  department?: string;
  assigneeId?: string;
  assigneeName?: string;
}

export interface AssessInput extends Versioned {
  disputeType: DisputeType;
  thirdParty?: ThirdParty;
  responsibilityExplained?: boolean;
  nature: Nature;
  severity: Severity;
  category?: string;
  findings?: string;
}

export interface PlanInput extends Versioned {
  department: string;
  /** The handler; without one, the routing rule's default handler, else the department alone (指派 later). */
  assigneeId?: string;
  /** Taken from the staff directory when it knows the person. */
  assigneeName?: string;
  measures: string;
  deadline: string;
  thirdParty?: ThirdParty;
  responsibilityExplained?: boolean;
}

export interface ResolveInput extends Versioned {
  reply: string;
  basis: string;
  /** Owner-visible unless chosen otherwise. */
  replyVisibility?: Visibility;
  /** Only when answering a communicative complaint straight from intake. */
  nature?: Nature;
  disputeType?: DisputeType;
  thirdParty?: ThirdParty;
  responsibilityExplained?: boolean;
}

export interface CancelInput extends Versioned {
  cancelKind: CancelKind;
  reason: string;
}

export interface EscalateInput extends Versioned {
  severity: Severity;
  reason: string;
}

export interface PauseInput extends Versioned {
  reason: string;
  party: ThirdParty;
}

export interface ReassignInput extends Versioned {
  assigneeId: string;
  /** Only for someone the directory does not know yet (no host staff table). */
  assigneeName?: string;
  department?: string;
  reason: string;
}

export interface NoteInput extends Versioned {
  note: string;
}

export interface FollowUpInput extends Versioned {
  method: FollowUpMethod;
  visitorName?: string;
  visitedAt?: string;
  satisfied: boolean;
  complainantWords?: string;
  ownerRating?: number;
}

export type SortKey = 'receivedAt' | '-receivedAt' | 'dueAt' | '-dueAt';

export interface ListQuery {
  state?: ComplaintState[];
  severity?: Severity[];
  category?: string[];
  disputeType?: DisputeType;
  nature?: Nature[];
  communityId?: string;
  unitId?: string;
  ownerId?: string;
  assigneeId?: string;
  overdue?: boolean;
  /** Paused (true) or running (false) clocks only. */
  paused?: boolean;
  /** Assigned but not yet accepted by the assignee. */
  awaitingAcceptance?: boolean;
  /** Nobody assigned (a plan that went to the department alone). */
  unassigned?: boolean;
  repeat?: boolean;
  threatenedWithholding?: boolean;
  receivedFrom?: string;
  receivedTo?: string;
  q?: string;
  sort: SortKey;
  limit: number;
  offset?: number;
  cursor?: string;
}

export interface ListResult<T = Complaint> {
  items: T[];
  /** Matching rows, counted up to a cap so the count stays cheap on a million rows; null when not asked for. */
  total: number | null;
  totalCapped: boolean;
  /** Pass as `cursor` for the next page (keyset pagination); null on the last page. */
  nextCursor: string | null;
}
