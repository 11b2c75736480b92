import {
  DescribeSessionsCommand,
  GetDocumentCommand,
  type Session,
  SSMClient,
  TerminateSessionCommand,
} from '@aws-sdk/client-ssm';
import type { SessionControl, SessionStatus } from '../respond/types';
import type { PreferencesSource } from '../session/types';

/**
 * Current session preferences from the Session document itself (CloudTrail redacts the content of a
 * change). Returns the document's `inputs`; undefined when the document cannot be read or parsed.
 */
export class SsmPreferencesSource implements PreferencesSource {
  constructor(private readonly client: SSMClient) {}

  async current(documentName: string): Promise<Record<string, unknown> | undefined> {
    try {
      const out = await this.client.send(
        new GetDocumentCommand({ Name: documentName, DocumentFormat: 'JSON' }),
      );
      if (!out.Content) return undefined;
      const content: unknown = JSON.parse(out.Content);
      const inputs = isRecord(content) ? content.inputs : undefined;
      return isRecord(inputs) ? inputs : undefined;
    } catch {
      return undefined;
    }
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const ENDING = new Set(['Terminating', 'Terminated', 'Failed']);

/** Session Manager control for the responder: is the session still running, and end it. */
export class SsmSessionControl implements SessionControl {
  constructor(private readonly client: SSMClient) {}

  async status(sessionId: string): Promise<SessionStatus> {
    const active = await this.find('Active', sessionId);
    if (active) return ENDING.has(active.Status ?? '') ? 'ended' : 'active';
    // History covers the last 30 days; older or unknown ids are neither active nor known to have ended.
    return (await this.find('History', sessionId)) ? 'ended' : 'unknown';
  }

  async terminate(sessionId: string): Promise<void> {
    await this.client.send(new TerminateSessionCommand({ SessionId: sessionId }));
  }

  private async find(state: 'Active' | 'History', sessionId: string): Promise<Session | undefined> {
    const out = await this.client.send(
      new DescribeSessionsCommand({ State: state, Filters: [{ key: 'SessionId', value: sessionId }] }),
    );
    return out.Sessions?.find((s) => s.SessionId === sessionId);
  }
}

/**
 * One SsmSessionControl per Region, made on first use: a session is ended in the Region of its
 * finding (forwarding regions share the home responder). `wrap` instruments each client (X-Ray).
 */
export function sessionControlsByRegion(
  wrap: (client: SSMClient) => SSMClient = (c) => c,
): (region: string | undefined) => SsmSessionControl {
  const controls = new Map<string, SsmSessionControl>();
  return (region) => {
    const key = region ?? '';
    let control = controls.get(key);
    if (!control) {
      control = new SsmSessionControl(wrap(new SSMClient(region ? { region } : {})));
      controls.set(key, control);
    }
    return control;
  };
}
