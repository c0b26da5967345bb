// 合并重复投诉: from a complaint's page, merge it (the duplicate) into another (the survivor). Two steps, both
// forms: name the survivor by the code on its slip and say why, then read what will happen (which pending
// offset requests go over to the survivor, or the reason the merge is refused, from the domain's own
// checks, src/complaints/merge.ts previewMerge) and confirm. The merge itself is the domain's mergeComplaint
// (one transaction, audited on both timelines); a refusal at confirm (changed meanwhile) is shown here.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Actor } from '../../auth/actor.js';
import { ConflictError, DomainError, fieldError, ValidationError } from '../../common/errors.js';
import { previewMerge, type MergePreview } from '../../complaints/merge.js';
import { OPEN_STATES } from '../../complaints/states.js';
import { fieldMessages, formOf, isValidationError, positiveInt } from '../forms.js';
import type { PageKit } from '../kit.js';
import { labelOf, VOCAB } from '../labels.js';
import type { PageServices } from '../services.js';
import { idParam } from './detail.js';
import { complaintByCode } from './incidents.js';

interface MergeState {
  values?: Record<string, string>;
  errors?: Record<string, string>;
  message?: string | null;
  preview?: MergePreview | null;
}

async function renderMerge(ctx: Context, kit: PageKit, services: PageServices, actor: Actor, id: number, state: MergeState = {}, status = 200): Promise<void> {
  const detail = await services.complaints.get(id, actor);
  const c = detail.complaint;
  const locale = kit.locale(ctx);
  const p = state.preview ?? null;
  const offsets = p ? await services.offsets.list({ complaintId: id, perPage: 50 }, actor) : null;
  await kit.render(
    ctx,
    'merge',
    {
      title: kit.t(ctx, 'merge.title').replace('{code}', c.code),
      section: 'list',
      selfPath: kit.url(`/c/${id}/merge`),
      c: { ...c, stateLabel: labelOf(VOCAB.state, c.state) },
      mergeable: OPEN_STATES.includes(c.state),
      mergedInto: detail.mergedInto,
      values: state.values ?? {},
      errors: state.errors ?? {},
      formError: state.message ?? null,
      preview: p
        ? {
            survivor: { id: p.survivor.id, code: p.survivor.code, unitLabel: p.survivor.unitLabel, complainantName: p.survivor.complainantName },
            survivorState: labelOf(VOCAB.state, p.survivor.state),
            refusal: p.refusal ? p.refusal.localized[locale] : null,
            carried: (offsets?.items ?? [])
              .filter((o) => p.carriedOffsetIds.includes(o.id))
              .map((o) => ({ id: o.id, requestedFen: o.requestedFen, reason: o.reason })),
            version: c.version,
          }
        : null,
    },
    status,
  );
}

/** A domain refusal for this page, or null when the error is not one (it goes to the error page). */
function refused(err: unknown, kit: PageKit, ctx: Context): { errors: Record<string, string>; message: string; status: number } | null {
  const locale = kit.locale(ctx);
  if (isValidationError(err)) {
    const errors = fieldMessages(err.fields, locale);
    // The survivor is typed as a code: its field carries the messages the domain gives about survivorId.
    if (errors.survivorId) errors.survivorCode = errors.survivorId;
    return { errors, message: err.localized[locale], status: 422 };
  }
  if (err instanceof ConflictError || (err instanceof DomainError && err.status === 403))
    return { errors: {}, message: err.localized[locale], status: err.status };
  return null;
}

export function registerMerge(router: Router, kit: PageKit, services: PageServices): void {
  router.get('/c/:id/merge', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.assess');
    await renderMerge(ctx, kit, services, actor, idParam(ctx));
  });

  // Step 1: which complaint survives and why; answers with what the merge would do (nothing written).
  router.post('/c/:id/merge/check', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.assess');
    const id = idParam(ctx);
    const form = formOf(ctx);
    const values = form.values();
    const code = form.get('survivorCode').trim();
    const reason = form.get('reason').trim();
    try {
      const errors = [];
      if (!code) errors.push(fieldError('survivorCode', '请填写要保留的投诉编号', 'Enter the code of the complaint to keep'));
      if (!reason) errors.push(fieldError('reason', '请写明为何是重复投诉', 'Say why this is a duplicate'));
      else if (reason.length > 500) errors.push(fieldError('reason', '合并原因最多 500 字', 'The reason may be at most 500 characters'));
      const survivor = code && code.length <= 40 ? await complaintByCode(services, code, actor) : null;
      if (code && !survivor)
        errors.push(
          fieldError(
            'survivorCode',
            `没有编号为“${code.slice(0, 40)}”的投诉（或不在您负责的小区）`,
            `No complaint with code "${code.slice(0, 40)}" in your communities`,
          ),
        );
      if (errors.length) throw new ValidationError(errors);
      const preview = await previewMerge(kit.context, id, survivor!.id, actor);
      await renderMerge(ctx, kit, services, actor, id, { values, preview });
    } catch (err) {
      const r = refused(err, kit, ctx);
      if (!r) throw err;
      await renderMerge(ctx, kit, services, actor, id, { values, ...r }, r.status);
    }
  });

  // Step 2: the merge, with the duplicate's version read at step 1 (changed meanwhile → refused, shown here).
  router.post('/c/:id/merge', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.assess');
    const id = idParam(ctx);
    const form = formOf(ctx);
    const values = form.values();
    const versionText = form.get('version');
    const survivorId = positiveInt(form.get('survivorId'));
    try {
      const result = await services.complaints.merge(
        id,
        {
          version: /^\d{1,10}$/.test(versionText) ? Number(versionText) : versionText,
          survivorId: survivorId ?? form.get('survivorId'),
          reason: form.get('reason').trim(),
        },
        actor,
      );
      kit.redirect(ctx, `/c/${result.survivor.id}`, 'merged');
    } catch (err) {
      const r = refused(err, kit, ctx);
      if (!r) throw err;
      await renderMerge(ctx, kit, services, actor, id, { values, ...r }, r.status);
    }
  });
}
