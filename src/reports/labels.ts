// What each report figure is called, in both languages, and the labels of the values it is broken down
// by (the closed vocabularies, and the administrator's categories and departments from settings).
import { msg, type Localized } from '../common/localized.js';
import { CHANNEL, DISPUTE_TYPE, NATURE, SEVERITY } from '../complaints/vocabulary.js';
import type { Settings } from '../settings/settings.js';
import type { Dimension } from './report.js';

export const DIMENSION_LABELS: Record<Dimension, Localized> = {
  category: msg('按投诉类别', 'By cause category'),
  severity: msg('按严重程度', 'By severity'),
  disputeType: msg('按纠纷类型', 'By dispute type'),
  nature: msg('按投诉性质', 'By nature'),
  channel: msg('按受理渠道', 'By channel'),
  department: msg('按责任部门', 'By department'),
};

/** The bucket of complaints where the value is not set yet. */
const UNSET: Record<Dimension, Localized> = {
  category: msg('未分类', 'Uncategorised'),
  severity: msg('未定级', 'Not graded yet'),
  disputeType: msg('未定性', 'Not classified yet'),
  nature: msg('未定性', 'Not classified yet'),
  channel: msg('未注明', 'Not stated'),
  department: msg('未指派部门', 'No department yet'),
};

function coded(list: Array<{ code: string; 'zh-CN': string; en: string }>): Record<string, Localized> {
  return Object.fromEntries(list.map((c) => [c.code, msg(c['zh-CN'], c.en)]));
}

export type ValueLabeller = (dimension: Dimension, key: string | null) => Localized;

/** Labels for every dimension's values; a value no longer in the lists shows as itself. */
export function valueLabeller(settings: Settings): ValueLabeller {
  const lists: Record<Dimension, Record<string, Localized>> = {
    category: coded(settings.categories),
    severity: SEVERITY.labels,
    disputeType: DISPUTE_TYPE.labels,
    nature: NATURE.labels,
    channel: CHANNEL.labels,
    department: coded(settings.departments),
  };
  return (dimension, key) => (key === null ? UNSET[dimension] : (lists[dimension][key] ?? msg(key, key)));
}
