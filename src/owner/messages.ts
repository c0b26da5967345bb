// What the owner (and the owner app) is told when something is refused: Chinese first, plain words,
// never a schema path. Each refusal changes nothing.
import { fieldError } from '../common/errors.js';
import { msg } from '../common/localized.js';

export const linkInvalid = msg(
  '查询链接无效：请核对回执单上的二维码或链接，或致电物业客服。',
  'This status link is not valid: check the QR code or link on your slip, or call the service desk.',
);
export const linkRevoked = msg(
  '此查询链接已被物业停用，请向物业客服索取新的回执单。',
  'This status link was withdrawn by the service desk; ask them for a new slip.',
);
export const linkExpired = (days: number) =>
  msg(
    `此查询链接已过期（投诉办结已超过 ${days} 天）。如需查询请致电物业客服。`,
    `This status link has expired (the complaint was closed over ${days} days ago). Call the service desk.`,
  );
export const complaintClosedForAdditions = msg(
  '投诉已办结，不能再补充信息；如有新问题请重新投诉或致电物业客服。',
  'The complaint is closed and takes no more information; file a new complaint or call the service desk.',
);
export const tooManyAdditions = msg(
  '提交过于频繁，请稍后（一小时内）再试；本次内容未保存。',
  'Too many additions; try again within the hour. Nothing was saved.',
);
export const additionText = fieldError('text', '请填写补充内容（1–500 字）或附上照片', 'Enter what you want to add (1–500 characters) or attach photos');
export const photosNotAccepted = fieldError('files', '此处不接收照片，请用文字说明', 'Photos are not accepted here; please describe it in words');
export const starsInvalid = fieldError('stars', '请选择 1–5 星评价', 'Choose 1 to 5 stars');
export const commentNotText = fieldError('comment', '评价内容须为文字', 'The comment must be text');
export const commentTooLong = fieldError('comment', '评价内容不能超过 500 字', 'The comment may be at most 500 characters');
export const rehandleNeedsLowRating = fieldError(
  'rehandle',
  '只有不满意（1–2 星）时才能申请重新处理',
  'Re-handling can only be asked for with an unsatisfied rating (1–2 stars)',
);
export const rehandleTooLate = fieldError(
  'rehandle',
  '投诉已办结，不能再申请重新处理；如仍有问题请重新投诉',
  'The complaint is already closed and cannot be re-handled; file a new complaint instead',
);
export const notYetReplied = msg('物业尚未答复，答复后才能评价。', 'The service desk has not replied yet; you can rate after the reply.');
export const cancelledNoRating = msg('该投诉已撤销，不能评价。', 'This complaint was cancelled and cannot be rated.');
export const alreadyRated = msg('您已评价过此投诉，每件投诉只能评价一次。', 'You have already rated this complaint; each complaint is rated once.');
export const ownerTokenMissing = msg('缺少业主身份令牌（X-Complaints-Owner）。', 'The owner token (X-Complaints-Owner) is missing.');
export const ownerTokenInvalid = msg('业主身份令牌无效或已过期，请重新进入小程序。', 'The owner token is invalid or expired; open the owner app again.');
export const ownerApiDisabled = msg('未配置业主应用的共享密钥，业主接口未启用。', 'No owner-app secret is configured; the owner API is off.');
export const notYourComplaint = msg('没有找到该投诉（或不属于您的房屋）。', 'No such complaint (or it is not about one of your units).');
export const notYourUnit = fieldError('unitId', '只能为您名下的房屋投诉', 'You can only complain about one of your own units');
export const tooManyFilings = msg(
  '提交投诉过于频繁，请稍后（一小时内）再试；本次内容未保存。',
  'Too many complaints sent; try again within the hour. Nothing was saved.',
);
export const filingUnavailable = msg('暂不能在线提交投诉，请致电物业客服。', 'Complaints cannot be filed online now; call the service desk.');
export const appSessionMissing = msg(
  '请从物业小程序（或业主 APP）进入此页面；如已进入，可能已超过 30 分钟，请返回小程序重新打开。',
  'Open this page from the property owner app; if you did, it may have been over 30 minutes: go back to the app and open it again.',
);
export const appTokenRefused = msg(
  '身份验证失败：链接无效或已过期，请返回物业小程序（或业主 APP）重新打开。未做任何修改。',
  'Your identity could not be confirmed: the link is invalid or expired. Go back to the owner app and open it again. Nothing was changed.',
);
export const appTooManyUnits = msg('您名下的房屋过多，无法在此页面打开，请致电物业客服。', 'You have too many units to open this page; call the service desk.');
export const appUnitRequired = fieldError('unitId', '请选择投诉的房屋', 'Choose the unit the complaint is about');
