// Units, people and request bodies for complaint suites, per host fixture, plus small HTTP steps
// (register, act, follow up) so each test reads as the story it tells.
import { expect } from 'chai';
import { HC, type HostFixture } from '../fixtures/hosts.js';
import type { Actor } from '../../src/auth/actor.js';
import type { Complaint } from '../../src/complaints/types.js';
import type { ApiResponse, PluginHarness } from './pluginHarness.js';

export interface FixtureUnits {
  /** A unit with a live owner, and the owner's id/name. */
  a: string;
  ownerA: string;
  ownerAName: string;
  /** Another unit in the same community as `a`. */
  b: string;
  /** A unit in another community. */
  other: string;
  communityA: string;
  communityOther: string;
}

export function unitsOf(fixture: HostFixture): FixtureUnits {
  if (fixture.name === 'stringIdHost') {
    return {
      a: HC.room.twoOwners,
      ownerA: HC.owner.zhang,
      ownerAName: '张三',
      b: HC.room.zhao,
      other: HC.room.deadCommunity,
      communityA: HC.community.live,
      communityOther: HC.community.deleted,
    };
  }
  return { a: '101', ownerA: '1', ownerAName: '张伟', b: '102', other: '103', communityA: '1', communityOther: '2' };
}

export const DEADLINE = '2026-12-05T10:00:00+08:00';

export function intakeBody(unitId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    unitId,
    complainantName: '张伟',
    complainantPhone: '13800138001',
    channel: 'counter',
    category: 'facilities',
    description: '3号楼电梯本周第三次停运，老人被困二十分钟',
    expectation: '尽快修好并给个说法',
    ...overrides,
  };
}

export async function register(h: PluginHarness, as: Actor, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Complaint> {
  const res = await h.api('POST', '/api/complaints', { as, body, headers });
  expect(res.status, JSON.stringify(res.body)).to.be.oneOf([200, 201]);
  return res.body.complaint as Complaint;
}

export function act(h: PluginHarness, as: Actor, c: { id: number; version: number }, action: string, body: Record<string, unknown> = {}): Promise<ApiResponse> {
  return h.api('POST', `/api/complaints/${c.id}/transitions/${action}`, { as, body: { version: c.version, ...body } });
}

/** Performs an action that must succeed and returns the complaint after it. */
export async function step(
  h: PluginHarness,
  as: Actor,
  c: { id: number; version: number },
  action: string,
  body: Record<string, unknown> = {},
): Promise<Complaint> {
  const res = await act(h, as, c, action, body);
  expect(res.status, `${action}: ${JSON.stringify(res.body)}`).to.equal(200);
  return res.body.complaint as Complaint;
}

export async function followUp(h: PluginHarness, as: Actor, c: { id: number; version: number }, body: Record<string, unknown>): Promise<ApiResponse> {
  return h.api('POST', `/api/complaints/${c.id}/follow-ups`, { as, body: { version: c.version, ...body } });
}

export const assessProperty = { disputeType: 'property', nature: 'valid', severity: 'important', findings: '现场核实属实' };
export const planBody = {
  department: 'engineering',
  assigneeId: 'eng-7',
  assigneeName: '工程部刘师傅',
  measures: '更换曳引机制动器并全面检修',
  deadline: DEADLINE,
};
export const replyBody = { reply: '电梯已修复并通过检测', basis: '维保单位检测报告 WB-2026-118' };
