// Every sentence the complaint loop says to a person about what they sent, in both languages (the
// compiler checks both are there). Labels of states, channels and categories live in vocabulary.ts/states.ts.
import { fieldError, type FieldError } from '../common/errors.js';
import { msg } from '../common/localized.js';

export const receivedInFuture = (): FieldError => fieldError('receivedAt', '受理时间不能晚于当前时间', 'The time received cannot be in the future');
export const noSuchUnit = (): FieldError => fieldError('unitId', '房屋不存在或不在您负责的小区', 'No such unit, or it is outside your communities');
export const notUnitOwner = (): FieldError => fieldError('ownerId', '该业主不是此房屋的业主', 'This owner does not own the unit');
export const visitOutOfOrder = (): FieldError =>
  fieldError('visitedAt', '回访时间须在回复之后且不晚于当前时间', 'The visit must be after the reply and not in the future');
export const differentSubmission = msg('此幂等键已用于内容不同的另一次登记', 'This idempotency key was already used for a different submission');
export const complaintNotFoundMessage = msg('投诉不存在', 'Complaint not found');
export const noSuchCommunity = (): FieldError =>
  fieldError('communityId', '小区不存在或不在您负责的范围', 'No such community, or it is outside your communities');
export const unitOrPlace = (): FieldError =>
  fieldError(
    'unitId',
    '请选择房屋；公共区域投诉（大堂、车库、花园等）请改填小区和具体位置',
    'Choose a unit; for a public area (lobby, garage, garden) give the community and the location instead',
  );
export const unitAndPlace = (): FieldError =>
  fieldError(
    'location',
    '房屋投诉不填公共区域位置：要么选房屋，要么填小区和位置',
    'A unit complaint has no public-area location: either choose a unit, or give a community and a location',
  );
export const locationRequired = (): FieldError =>
  fieldError(
    'location',
    '公共区域投诉须写明具体位置（如 3号楼大堂、地下车库 B2 区）',
    'A public-area complaint needs the location (e.g. building 3 lobby, garage level B2)',
  );
export const ownerWithoutUnit = (): FieldError =>
  fieldError(
    'ownerId',
    '公共区域投诉不对应房屋，也就不选业主；投诉人姓名和电话照常填写',
    'A public-area complaint has no unit, so no owner is chosen; fill in the complainant as usual',
  );
export const hotlineRefRequired = (): FieldError =>
  fieldError('externalRef', '12345 转办须填写热线工单编号', 'A 12345 referral needs the hotline work-order number');
export const hotlineDueRequired = (): FieldError =>
  fieldError('hotlineDueAt', '12345 转办须填写热线要求的办结时限', 'A 12345 referral needs the reply deadline the hotline set');
export const hotlineOnly = (field: 'externalRef' | 'hotlineDueAt'): FieldError =>
  fieldError(field, '只有 12345 热线转办才填写热线工单编号和时限', 'Only a 12345 hotline referral has a hotline work-order number and deadline');
