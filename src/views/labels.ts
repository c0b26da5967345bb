// View-model helpers: the domain's closed vocabularies and the administrator's lists turned into
// option lists for the templates (value, both labels, selected). No rule lives here.
import type { Localized } from '../common/localized.js';
import {
  CANCEL_KIND,
  CHANNEL,
  DISPUTE_TYPE,
  FOLLOW_UP_METHOD,
  NATURE,
  RELATION,
  SEVERITY,
  THIRD_PARTY,
  COMMUNICATIVE_NATURES,
} from '../complaints/vocabulary.js';
import { STATE_LABELS, STATES } from '../complaints/states.js';
import { OFFSET_STATUS_LABELS } from '../offsets/model.js';
import { COMPENSATION_METHOD_LABELS, COMPENSATION_PAYER_LABELS } from '../compensations/model.js';
import type { Settings } from '../settings/settings.js';

export interface Choice {
  value: string;
  label: Localized;
  selected: boolean;
}

export function choices(labels: Record<string, Localized>, selected: string | string[] | undefined | null, only?: readonly string[]): Choice[] {
  const picked = Array.isArray(selected) ? selected : selected === undefined || selected === null ? [] : [selected];
  return Object.entries(labels)
    .filter(([value]) => !only || only.includes(value))
    .map(([value, label]) => ({ value, label, selected: picked.includes(value) }));
}

export const VOCAB = {
  channel: CHANNEL.labels as Record<string, Localized>,
  relation: RELATION.labels as Record<string, Localized>,
  disputeType: DISPUTE_TYPE.labels as Record<string, Localized>,
  thirdParty: THIRD_PARTY.labels as Record<string, Localized>,
  nature: NATURE.labels as Record<string, Localized>,
  severity: SEVERITY.labels as Record<string, Localized>,
  method: FOLLOW_UP_METHOD.labels as Record<string, Localized>,
  cancelKind: CANCEL_KIND.labels as Record<string, Localized>,
  state: STATE_LABELS as Record<string, Localized>,
  offsetStatus: OFFSET_STATUS_LABELS as Record<string, Localized>,
  compensationPayer: COMPENSATION_PAYER_LABELS as Record<string, Localized>,
  compensationMethod: COMPENSATION_METHOD_LABELS as Record<string, Localized>,
};

export const COMMUNICATIVE = COMMUNICATIVE_NATURES as readonly string[];
export const ALL_STATES = STATES as readonly string[];

export function categoryLabels(settings: Settings, includeInactive = false): Record<string, Localized> {
  return Object.fromEntries(settings.categories.filter((c) => includeInactive || c.active !== false).map((c) => [c.code, { 'zh-CN': c['zh-CN'], en: c.en }]));
}

export function departmentLabels(settings: Settings): Record<string, Localized> {
  return Object.fromEntries(settings.departments.map((d) => [d.code, { 'zh-CN': d['zh-CN'], en: d.en }]));
}

/** The label of one value, or the value itself when it is not (or no longer) in the list. */
export function labelOf(labels: Record<string, Localized>, value: string | null | undefined): Localized | null {
  if (value === null || value === undefined) return null;
  return labels[value] ?? { 'zh-CN': value, en: value };
}
