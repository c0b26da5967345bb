// What a person should do next on a complaint, and the rows of the workbench's queues and of the
// handler's own page: each entry one click from its action (a button for accept and resume, which need
// nothing typed; a link that opens the action's form for the others).
import type { Actor } from '../../auth/actor.js';
import { allowedActions, type Action } from '../../complaints/states.js';
import type { ComplaintJob } from '../../complaints/store/complaints.js';
import type { Locale } from '../../common/localized.js';
import type { Settings } from '../../settings/settings.js';
import { translate, type MessageKey } from '../../i18n/index.js';
import { labelOf, VOCAB } from '../labels.js';
import { complaintRow } from './viewModels.js';
import { durationText } from './detail.js';

/** In order of what comes first: the step that moves the complaint on. */
const NEXT_ORDER: Action[] = ['accept', 'resume', 'start-investigation', 'assess', 'plan', 'resolve', 'follow-up', 'note'];
/** Actions done with one button (nothing to type). */
const ONE_CLICK = new Set<Action>(['accept', 'resume']);

export function nextAction(c: ComplaintJob, actor: Actor): Action | null {
  const allowed = new Set(allowedActions(c, actor));
  // Assessing again is possible in processing, but the next step there is the reply.
  if (c.state === 'processing') allowed.delete('assess');
  if (c.state === 'investigating' && c.severity && c.nature) allowed.delete('assess');
  return NEXT_ORDER.find((a) => allowed.has(a)) ?? null;
}

export interface JobEntry {
  row: ReturnType<typeof complaintRow>;
  version: number;
  action: Action | null;
  actionLabel: string | null;
  /** A form posting straight to the action (accept, resume). */
  oneClick: boolean;
  /** Otherwise a link to the detail page with the action's form open. */
  href: string;
  pausedFor: string | null;
  pauseParty: unknown;
  pauseReason: string | null;
  waitingSince: Date | null;
}

export function jobEntry(
  c: ComplaintJob,
  actor: Actor,
  settings: Settings,
  now: Date,
  locale: Locale,
  url: (path: string) => string,
  prefer?: Action,
): JobEntry {
  const allowed = new Set(allowedActions(c, actor));
  const action = prefer && allowed.has(prefer) ? prefer : nextAction(c, actor);
  return {
    row: complaintRow(c, settings, now),
    version: c.version,
    action,
    actionLabel: action ? translate(locale, `action.${action}` as MessageKey) : null,
    oneClick: !!action && ONE_CLICK.has(action),
    href: action && !ONE_CLICK.has(action) ? url(`/c/${c.id}?open=${action}#action-${action}`) : url(`/c/${c.id}`),
    pausedFor: c.pausedAt ? durationText(now.getTime() - c.pausedAt.getTime(), locale) : null,
    pauseParty: c.pausedAt ? labelOf(VOCAB.thirdParty, c.pauseParty ?? null) : null,
    pauseReason: c.pauseReason ?? null,
    waitingSince: c.assigneeId && !c.acceptedAt ? c.updatedAt : null,
  };
}
