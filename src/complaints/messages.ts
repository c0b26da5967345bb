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
