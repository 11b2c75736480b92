/** What the responder can learn about a session and do to it (ssm DescribeSessions / TerminateSession). */
export type SessionStatus = 'active' | 'ended' | 'unknown';

export interface SessionControl {
  status(sessionId: string): Promise<SessionStatus>;
  terminate(sessionId: string): Promise<void>;
}
