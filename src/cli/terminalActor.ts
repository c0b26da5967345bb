// The person at the terminal, as the audit trail names them: `cli:<os user>`, with the role the command
// acts in. One definition for every CLI command that writes an audit record.
import { userInfo } from 'node:os';
import type { Actor } from '../auth/actor.js';

export function terminalActor(role: string): Actor {
  let user = 'unknown';
  try {
    user = userInfo().username || 'unknown';
  } catch {
    // no user database entry (some containers): keep "unknown"
  }
  return { id: `cli:${user}`.slice(0, 64), name: `命令行 ${user} / CLI`.slice(0, 100), roles: [role], communityIds: null };
}
