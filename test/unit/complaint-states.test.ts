// The state machine table: who may do what from where, and which facts each move needs.
import { expect } from 'chai';
import { ConflictError, ValidationError } from '../../src/common/errors.js';
import { ACTIONS, RULES, STATES, allowedActions, checkTransition, ruleFor, type ComplaintState, type Facts } from '../../src/complaints/states.js';
import { NotFoundError } from '../../src/common/errors.js';
import { people } from '../support/pluginHarness.js';

const NOW = new Date('2026-11-28T01:00:00Z');

function facts(state: ComplaintState, more: Partial<Facts> = {}): Facts {
  return { state, nature: null, severity: null, disputeType: null, thirdParty: null, responsibilityExplained: null, escalatedAt: null, ...more };
}

const assessed = { disputeType: 'property', nature: 'valid', severity: 'important' } as const;

function refusal(fn: () => unknown): ConflictError | ValidationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConflictError || err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('complaint state machine', () => {
  it('follows the closed loop: received → investigating → processing → resolved → closed | closed_unsatisfied', () => {
    expect(checkTransition(RULES['start-investigation'], facts('received'), {}, NOW)).to.equal('investigating');
    expect(checkTransition(RULES.assess, facts('received'), assessed, NOW)).to.equal('investigating');
    expect(checkTransition(RULES.plan, facts('investigating', assessed), { deadline: '2026-12-01T00:00:00Z' }, NOW)).to.equal('processing');
    expect(checkTransition(RULES.resolve, facts('processing', assessed), {}, NOW)).to.equal('resolved');
    expect(checkTransition(RULES['follow-up'], facts('resolved', assessed), { satisfied: true }, NOW)).to.equal('closed');
    expect(checkTransition(RULES['follow-up'], facts('resolved', assessed), { satisfied: false }, NOW)).to.equal('closed_unsatisfied');
  });

  it('lets communicative complaints be answered straight from intake, but not valid ones', () => {
    for (const nature of ['help', 'inquiry', 'venting'] as const) {
      expect(checkTransition(RULES.resolve, facts('received'), { nature }, NOW)).to.equal('resolved');
    }
    const valid = refusal(() => checkTransition(RULES.resolve, facts('investigating', assessed), {}, NOW));
    expect(valid).to.be.instanceOf(ConflictError);
    const unknown = refusal(() => checkTransition(RULES.resolve, facts('received'), {}, NOW));
    expect(unknown).to.be.instanceOf(ValidationError);
    expect(unknown.fields.map((f) => f.field)).to.deep.equal(['nature']);
  });

  it('allows cancelling from every open state only, and nothing at all from the terminal states', () => {
    expect(RULES.cancel.from).to.have.members(['received', 'investigating', 'processing', 'resolved']);
    for (const state of ['closed', 'closed_unsatisfied', 'cancelled'] as const) {
      expect(
        ACTIONS.filter((a) => RULES[a].from.includes(state)),
        state,
      ).to.deep.equal([]);
    }
  });

  it('refuses each action outside its states with an invalid_transition conflict in both languages', () => {
    for (const state of STATES) {
      for (const action of ACTIONS.filter((a) => !RULES[a].from.includes(state))) {
        const err = refusal(() => checkTransition(RULES[action], facts(state, assessed), { satisfied: true, severity: 'major' }, NOW));
        expect(err, `${action} from ${state}`).to.be.instanceOf(ConflictError);
        expect(err.code).to.equal('invalid_transition');
        expect(err.localized['zh-CN']).to.match(/[\u4e00-\u9fff]/);
        expect(err.localized.en).to.contain(RULES[action].label.en);
      }
    }
  });

  it('requires the classification before a plan, and a future deadline', () => {
    const err = refusal(() => checkTransition(RULES.plan, facts('investigating'), { deadline: '2026-12-01T00:00:00Z' }, NOW));
    expect(err.fields.map((f) => f.field)).to.deep.equal(['disputeType', 'nature', 'severity']);
    const past = refusal(() => checkTransition(RULES.plan, facts('investigating', assessed), { deadline: '2026-11-27T00:00:00Z' }, NOW));
    expect(past.fields.map((f) => f.field)).to.deep.equal(['deadline']);
  });

  it('requires the third party and the up-front explanation for non-property disputes', () => {
    const err = refusal(() => checkTransition(RULES.assess, facts('investigating'), { disputeType: 'non_property', nature: 'valid', severity: 'minor' }, NOW));
    expect(err.fields.map((f) => f.field)).to.deep.equal(['thirdParty', 'responsibilityExplained']);
    const ok = checkTransition(
      RULES.assess,
      facts('investigating'),
      { disputeType: 'non_property', thirdParty: 'developer', responsibilityExplained: true, nature: 'valid', severity: 'minor' },
      NOW,
    );
    expect(ok).to.equal('investigating');
  });

  it('only raises severity when escalating, and keeps an escalated complaint from being assessed down', () => {
    expect(refusal(() => checkTransition(RULES.escalate, facts('processing', { severity: 'major' }), { severity: 'major' }, NOW)).fields[0]!.field).to.equal(
      'severity',
    );
    expect(checkTransition(RULES.escalate, facts('processing', { severity: 'minor' }), { severity: 'important' }, NOW)).to.equal('processing');
    const escalated = facts('investigating', { ...assessed, severity: 'major', escalatedAt: NOW });
    expect(refusal(() => checkTransition(RULES.assess, escalated, { ...assessed, severity: 'minor' }, NOW)).fields[0]!.field).to.equal('severity');
  });

  it('names the permission of every action from plugin.json and lists what a person may do now', () => {
    expect(RULES.plan.permission).to.equal('complaint.plan');
    expect(RULES['follow-up'].permission).to.equal('complaint.follow_up');
    expect(allowedActions(facts('received'), people.counter)).to.deep.equal(['resolve', 'cancel', 'note']);
    // A supervisor handles too: pausing the clock (挂起) while a third party is waited on.
    expect(allowedActions(facts('investigating', assessed), people.supervisor)).to.deep.equal([
      'assess',
      'plan',
      'reassign',
      'pause',
      'cancel',
      'escalate',
      'note',
    ]);
    // Only the assignee accepts; a paused clock offers resume, not pause.
    const handler = { id: 'eng-1', name: '工程部', roles: ['handler'], communityIds: null };
    const dispatched = facts('processing', { ...assessed, assigneeId: 'eng-1', acceptedAt: null });
    expect(allowedActions(dispatched, handler)).to.deep.equal(['accept', 'pause', 'resolve', 'note']);
    expect(allowedActions(dispatched, people.supervisor)).to.include('reassign').and.not.include('accept');
    expect(allowedActions({ ...dispatched, pausedAt: NOW }, handler)).to.deep.equal(['accept', 'resume', 'resolve', 'note']);
    expect(allowedActions(facts('resolved', assessed), people.counter)).to.deep.equal(['cancel', 'note', 'follow-up']);
    expect(allowedActions(facts('processing', assessed), people.cashier)).to.deep.equal([]);
    expect(() => ruleFor('reopen')).to.throw(NotFoundError);
  });
});
