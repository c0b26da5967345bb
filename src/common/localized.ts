// Every message a person reads exists in both locales; zh-CN is the default.
export type Locale = 'zh-CN' | 'en';
export const LOCALES: readonly Locale[] = ['zh-CN', 'en'];
export const DEFAULT_LOCALE: Locale = 'zh-CN';

export interface Localized {
  'zh-CN': string;
  en: string;
}

export function msg(zh: string, en: string): Localized {
  return { 'zh-CN': zh, en };
}

export function pickLocale(value: string | undefined | null): Locale {
  if (!value) return DEFAULT_LOCALE;
  return value.toLowerCase().startsWith('en') ? 'en' : 'zh-CN';
}
