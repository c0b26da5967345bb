// What every notice about a complaint carries, and the dedupe keys naming the fact it announces. The
// complaint domain (in the transaction of the change: assigned, escalated, follow-up due) and the jobs
// (for what only time makes true: deadline near, overdue) build their notices here, so the host routes
// them alike, and a job finding a fact the domain already announced adds nothing.

/** The columns a complaint notice carries: enough to route and show it, no complainant contact data. */
export const COMPLAINT_NOTICE_COLUMNS = ['id', 'code', 'state', 'severity', 'department', 'assignee_id', 'assignee_name', 'community_id', 'unit_label'];

/** The routing part of a complaint notice, from a complaint row (or toRow of a Complaint). */
export function complaintPayload(row: Record<string, unknown>): Record<string, unknown> {
  return {
    complaintId: Number(row.id),
    code: String(row.code),
    state: String(row.state),
    severity: (row.severity as string | null) ?? null,
    department: (row.department as string | null) ?? null,
    assigneeId: (row.assignee_id as string | null) ?? null,
    assigneeName: (row.assignee_name as string | null) ?? null,
    communityId: row.community_id === null || row.community_id === undefined ? null : String(row.community_id),
    unitLabel: String(row.unit_label),
  };
}

export type DeadlineTopic = 'deadline_near' | 'overdue' | 'follow_up_due';
export type DeadlineStage = 'handling' | 'follow_up';

/** One key per fact: a rerun, a second instance or the domain and a job announcing the same fact send it once. */
export const noticeKeys = {
  /** Each assignment is a new version of the complaint. */
  assigned: (complaintId: number, version: number) => `assigned:${complaintId}:v${version}`,
  reassigned: (complaintId: number, version: number, recipient: 'new' | 'previous') => `reassigned:${complaintId}:v${version}:${recipient}`,
  /** Per pause: a pause is announced once, however long it lasts. */
  pauseOverdue: (complaintId: number, pausedAt: Date) => `pause_overdue:${complaintId}:${pausedAt.toISOString()}`,
  escalated: (complaintId: number, escalatedAt: Date) => `escalated:${complaintId}:${escalatedAt.toISOString()}`,
  /** Per deadline: a new deadline warns again. */
  deadline: (topic: DeadlineTopic, stage: DeadlineStage, complaintId: number, dueAt: Date) => `${topic}:${stage}:${complaintId}:${dueAt.toISOString()}`,
};
