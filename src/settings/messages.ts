// Every sentence the settings module says to a person, in both languages (checked by the compiler).
import { msg, type Localized } from '../common/localized.js';

export const staleSettings = (name: string, at: string): Localized =>
  msg(
    `设置在您打开页面后已被 ${name} 于 ${at} 修改。下面显示的是最新设置，请核对后重新保存。`,
    `The settings were changed by ${name} at ${at} after you opened the page. The latest settings are shown below; check them and save again.`,
  );
