// Error pages for the server-rendered forms: 403, 404, 409, 422, 500 and 503 as plain pages in the
// reader's language that leak nothing (no stack, no SQL, no ids beyond what the reader asked for). A 500
// carries a short reference that is logged with the error, so support can find it.
import type { Context, Middleware } from 'koa';
import { randomBytes } from 'node:crypto';
import { DomainError } from '../common/errors.js';
import { isConnectionError, isRetryableTransactionError } from '../db/errors.js';
import { msg, type Locale, type Localized } from '../common/localized.js';

export interface ErrorPage {
  status: number;
  title: Localized;
  message: Localized;
  /** Field messages of an unexpected validation error (normally the form handles these itself). */
  details?: Localized[];
  reference?: string;
}

export type ErrorPageRenderer = (ctx: Context, page: ErrorPage) => string;

const TITLES: Record<number, Localized> = {
  400: msg('请求有误', 'Bad request'),
  401: msg('请先登录', 'Please sign in'),
  403: msg('没有权限', 'Not allowed'),
  404: msg('找不到页面', 'Not found'),
  409: msg('记录已被他人修改', 'Changed by someone else'),
  413: msg('提交内容过大', 'Too much data'),
  415: msg('不支持的提交格式', 'Unsupported form'),
  422: msg('输入有误', 'Invalid input'),
  500: msg('系统出错', 'Something went wrong'),
  503: msg('请稍后重试', 'Please try again'),
};

export const NOT_FOUND_PAGE: ErrorPage = {
  status: 404,
  title: TITLES[404]!,
  message: msg('您要找的页面或记录不存在，或者您无权查看。', 'The page or record you asked for does not exist, or you may not see it.'),
};

export const UNAVAILABLE_MESSAGE = msg(
  '系统暂时无法连接数据库，请稍后重试。您刚才提交的内容可能没有保存：请返回上一页再提交一次（不会重复登记）。已经确认的记录不会丢失。',
  'The system cannot reach its database right now; please try again shortly. What you just submitted may not have been saved: go back and submit again (it will not be registered twice). Records already confirmed are not lost.',
);

/** Our transaction kept conflicting with other people's changes and nothing was saved. */
export const BUSY_MESSAGE = msg(
  '有人正在同时修改相同的记录，您刚才提交的内容没有保存。请稍后返回上一页再提交一次（不会重复登记）。',
  'Someone was changing the same records at the same moment and what you just submitted was not saved. Please go back and submit again shortly (it will not be registered twice).',
);

function title(status: number): Localized {
  return TITLES[status] ?? (status >= 500 ? TITLES[500]! : TITLES[400]!);
}

/** Maps any thrown error to the page to show. Exported for tests. */
export function errorPageFor(err: unknown, log: (err: unknown, reference: string) => void): ErrorPage {
  if (err instanceof DomainError) {
    // Field errors that reach an error page are still "invalid input" (422); a body that could not be read
    // at all (malformed upload) is a bad request, with nothing typed to re-show.
    const status = err.status === 400 && err.fields.length > 0 ? 422 : err.status;
    if (status === 404) return { ...NOT_FOUND_PAGE, message: err.localized };
    return {
      status,
      title: title(status),
      message: err.localized,
      details: err.fields.map((f) => msg(`${f.field}：${f.message['zh-CN']}`, `${f.field}: ${f.message.en}`)),
    };
  }
  if (isConnectionError(err)) return { status: 503, title: title(503), message: UNAVAILABLE_MESSAGE };
  if (isRetryableTransactionError(err)) return { status: 503, title: title(503), message: BUSY_MESSAGE };
  const httpStatus = (err as { status?: number }).status;
  if (typeof httpStatus === 'number' && httpStatus >= 400 && httpStatus < 500) {
    const message =
      httpStatus === 413
        ? msg('提交的内容过大，请精简后重试。', 'What you submitted is too large; please shorten it and try again.')
        : httpStatus === 415
          ? msg('提交格式不受支持。', 'This kind of submission is not supported.')
          : httpStatus === 404
            ? NOT_FOUND_PAGE.message
            : msg('请求格式有误。', 'The request could not be read.');
    return { status: httpStatus, title: title(httpStatus), message };
  }
  const reference = randomBytes(4).toString('hex');
  log(err, reference);
  return {
    status: 500,
    title: title(500),
    message: msg(
      '处理请求时出错，未做任何修改。请稍后再试；如果一再出现，请把参考编号告诉管理员。',
      'Something went wrong while handling the request. Please try again later; if it keeps happening, give the reference to your administrator.',
    ),
    reference,
  };
}

function plainText(page: ErrorPage, locale: Locale): string {
  return `${page.title[locale]}\n\n${page.message[locale]}${page.reference ? `\n\n${page.reference}` : ''}\n`;
}

/**
 * Outermost page middleware: turns every failure into an HTML error page, and a request no route
 * answered into the 404 page. If even the error page cannot be rendered, a plain text answer is given.
 */
export function pageErrorMiddleware(
  render: ErrorPageRenderer,
  log: (err: unknown, reference: string, requestId?: string) => void = (err, ref) => console.error(`[complaints] page error ${ref}`, err),
): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      showError(
        ctx,
        errorPageFor(err, (e, reference) => log(e, reference, ctx.state.requestId as string | undefined)),
        render,
      );
    }
  };
}

export function showError(ctx: Context, page: ErrorPage, render: ErrorPageRenderer): void {
  const locale = ((ctx.state.locale as Locale | undefined) ?? 'zh-CN') as Locale;
  ctx.status = page.status;
  if (page.status === 503) ctx.set('Retry-After', '10');
  ctx.set('Cache-Control', 'no-store');
  try {
    ctx.type = 'html';
    ctx.body = render(ctx, page);
  } catch {
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = plainText(page, locale);
  }
}
