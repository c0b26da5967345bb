import type { Locale } from '../common/localized.js';
import { zhCN, type MessageKey } from './zh-CN.js';
import { en } from './en.js';

const catalogs: Record<Locale, Record<MessageKey, string>> = { 'zh-CN': zhCN, en };

export function translate(locale: Locale, key: MessageKey): string {
  return catalogs[locale][key];
}

export function isMessageKey(key: string): key is MessageKey {
  return key in zhCN;
}

export type { MessageKey };
