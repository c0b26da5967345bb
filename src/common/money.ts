// Money is integer fen (分) everywhere inside the plugin. These helpers are the only places that turn
// yuan text or host column values into fen, and they never go through binary floating point when
// the input is text.
import { msg, type Localized } from './localized.js';

/** Raised for money text or host values that cannot be read exactly; carries both locales. */
export class MoneyFormatError extends Error {
  constructor(readonly localized: Localized) {
    super(localized.en);
    this.name = 'MoneyFormatError';
  }
}

const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?$/;

function checkedFen(fen: number, shown: string): number {
  if (!Number.isSafeInteger(fen)) {
    throw new MoneyFormatError(msg(`金额 ${shown} 超出范围`, `Amount ${shown} is out of range`));
  }
  return fen === 0 ? 0 : fen; // no -0
}

function fenFromDecimalText(text: string): number {
  const m = DECIMAL_TEXT.exec(text.trim());
  if (!m) throw new MoneyFormatError(msg(`无法识别的金额：${text}`, `Not an amount: ${text}`));
  const [, sign, whole, frac = ''] = m;
  // DECIMAL(12,4) comes back as "120.5000": extra digits are fine only when they are zeros.
  if (/[1-9]/.test(frac.slice(2))) {
    throw new MoneyFormatError(
      msg(`金额 ${text} 超过两位小数，无法精确换算为分`, `Amount ${text} has more than 2 decimals and cannot be stored exactly in fen`),
    );
  }
  const fen = Number(whole!) * 100 + Number(frac.slice(0, 2).padEnd(2, '0'));
  return checkedFen(sign ? -fen : fen, text);
}

/**
 * A host amount in yuan to fen. MySQL DECIMAL arrives as text ("120.50") and is parsed digit by digit;
 * SQLite REAL arrives as a number and is rounded only after checking it really has at most 2 decimals.
 */
export function yuanToFen(value: string | number | bigint): number {
  if (typeof value === 'bigint') return checkedFen(Number(value) * 100, String(value));
  if (typeof value === 'string') return fenFromDecimalText(value);
  if (!Number.isFinite(value)) throw new MoneyFormatError(msg(`无法识别的金额：${value}`, `Not an amount: ${value}`));
  const scaled = value * 100;
  const fen = Math.round(scaled);
  // n*100 of a 2-decimal number is within float error of an integer; a third decimal is at least 0.1 off
  // at sane magnitudes, so a tolerance far below that separates the two.
  if (Math.abs(scaled - fen) > Math.max(1e-6, Math.abs(scaled) * 1e-12)) {
    throw new MoneyFormatError(
      msg(`金额 ${value} 超过两位小数，无法精确换算为分`, `Amount ${value} has more than 2 decimals and cannot be stored exactly in fen`),
    );
  }
  return checkedFen(fen, String(value));
}

const notWholeFen = (value: string | number): MoneyFormatError =>
  new MoneyFormatError(msg(`以分为单位的金额 ${value} 不是整数`, `Amount in fen ${value} is not a whole number`));

/** A host amount already in fen (INT column; BIGINT may come back as text) to a safe integer. */
export function fenFromInteger(value: string | number | bigint): number {
  if (typeof value === 'bigint') return checkedFen(Number(value), String(value));
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) {
      throw notWholeFen(value);
    }
    return checkedFen(value, String(value));
  }
  const m = DECIMAL_TEXT.exec(value.trim());
  if (!m || /[1-9]/.test(m[3] ?? '')) {
    throw notWholeFen(value);
  }
  return checkedFen(Number(`${m[1]}${m[2]}`), value);
}

/** 12050 → "120.50"; -5 → "-0.05". No currency sign, no grouping: for forms and exports. */
export function formatFen(fen: number): string {
  if (!Number.isSafeInteger(fen)) throw new RangeError(`formatFen needs an integer number of fen, got ${fen}`);
  const abs = Math.abs(fen);
  const text = `${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
  return fen < 0 ? `-${text}` : text;
}

/** 123450 → "¥1,234.50"; -500 → "-¥5.00". How a person reads an amount: in messages, pages, the timeline. */
export function formatYuan(fen: number): string {
  const [whole, cents] = formatFen(Math.abs(fen)).split('.') as [string, string];
  const grouped = whole.replace(/\B(?=(\d{3})+$)/g, ',');
  return `${fen < 0 ? '-' : ''}¥${grouped}.${cents}`;
}

const YUAN_INPUT = /^[¥￥]?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$/;

/**
 * What a person types as a non-negative amount in yuan → fen. Accepts "120", "120.5", "120.50",
 * "¥1,200.50" (commas only as thousands separators); refuses signs, exponents, a third decimal, "".
 */
export function parseYuan(input: string): number {
  const text = String(input ?? '').trim();
  const m = YUAN_INPUT.exec(text);
  if (!m) {
    throw new MoneyFormatError(
      msg(
        `金额格式不正确：“${text}”。请输入不小于 0 的金额，最多两位小数，例如 120.50`,
        `Invalid amount "${text}": enter a non-negative amount with at most 2 decimals, e.g. 120.50`,
      ),
    );
  }
  return fenFromDecimalText(`${m[1]!.replace(/,/g, '')}.${m[2] ?? '0'}`);
}
