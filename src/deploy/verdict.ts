import type { AuditRecord, DeployOutcome } from './types.js';

/** What the server says became of a deploy (agent verb `result`). */
export interface ServerResult {
  /** pending | applying | staged | rollback | rolled-back | rollback-failed | confirming | confirmed |
   *  confirmed-not-persisted | decided (audit record written) | unknown */
  state: string;
  timerAlive?: boolean;
  reason?: string;
  detail?: string;
  record?: AuditRecord;
  liveHash?: string;
  serverTime?: string;
}

/** What this client saw itself, and nothing more. */
export interface ClientObservation {
  /** The last error of a new SSH connection or of the confirm command, if any. */
  confirmError?: string;
  /** A new SSH connection was opened after the apply (so SSH was not blocked then). */
  newConnectionOpened: boolean;
  /** The SSH session used for the apply still answered after the confirm window; undefined: not checked. */
  existingSessionAlive?: boolean;
  /** The connection dropped before the apply's answer arrived. */
  lostDuringApply?: boolean;
  oldHash?: string;
  clientAddress?: string;
}

export interface Verdict {
  outcome: DeployOutcome;
  message: string;
  rolledBackAt?: string;
}

function clock(iso: string | undefined): string {
  const match = iso ? /T(\d\d:\d\d:\d\d)/.exec(iso) : null;
  return match ? `${match[1]} UTC (server clock)` : 'an unknown time';
}

/** Why the confirmation did not arrive, from what the client saw; never a cause it has not seen. */
function whyUnconfirmed(seen: ClientObservation): string {
  if (seen.lostDuringApply) return 'the connection dropped during the apply, so no confirmation was sent';
  const error = seen.confirmError ? ` (${seen.confirmError})` : '';
  if (seen.newConnectionOpened) return `new SSH connections worked but the confirmation failed${error}`;
  if (seen.existingSessionAlive === true) {
    const from = seen.clientAddress ? ` from ${seen.clientAddress}` : '';
    return `new SSH connections failed${error} while the existing session stayed up: the new rules block new SSH${from}`;
  }
  if (seen.existingSessionAlive === false) {
    return `new SSH connections failed${error} and the existing session dropped too: the link or the host failed, or the new rules block established traffic`;
  }
  return `no new SSH connection succeeded${error}`;
}

const REASONS: Record<string, string> = {
  'confirm-timeout': 'its timer expired',
  'apply-interrupted': 'the apply was interrupted',
  'apply-failed': 'the apply failed',
  reboot: 'the host rebooted before the confirmation (found by the next agent call or at boot)',
  'timer-lost': 'its rollback timer had died (found by the next agent call)',
};

/**
 * The report for a deploy that was not confirmed over the first path: the server's own decision,
 * its time (server clock), and the client's observations, kept apart.
 */
export function verdictFrom(server: ServerResult, seen: ClientObservation): Verdict {
  const outcome = server.record?.outcome ?? server.state;
  const reason = server.record?.reason ?? server.reason ?? '';
  const at = server.record?.time;
  const detail = server.record?.detail ?? server.detail;
  if (outcome === 'confirmed') {
    return { outcome: 'confirmed', message: 'confirmed (the confirmation reached the server before the link failed)' };
  }
  if (outcome === 'confirmed-not-persisted') {
    return { outcome: 'confirmed-not-persisted', message: 'confirmed, but the boot files could not be written: a reboot would load the previous rules' };
  }
  const why = whyUnconfirmed(seen);
  const serverSide = REASONS[reason] ?? reason;
  if (outcome === 'rollback-failed') {
    return {
      outcome: 'rollback-failed',
      message: `ROLLBACK FAILED: ${why}; the server tried to restore the previous rules (${serverSide}) at ${clock(at)} and failed${detail ? `: ${detail}` : ''}. The new rules may still be live: check the host's console`,
      ...(at ? { rolledBackAt: at } : {}),
    };
  }
  if (outcome === 'rolled-back') {
    const verified = seen.oldHash === undefined || server.liveHash === undefined || server.liveHash === seen.oldHash;
    const check = verified ? '' : ', but the live ruleset differs from the one before the deploy';
    const when = at ? `at ${clock(at)}` : '(the audit record could not be written yet: state filesystem full?)';
    return { outcome: 'rolled-back', message: `${why}; the server rolled back ${when} because ${serverSide}${check}`, ...(at ? { rolledBackAt: at } : {}) };
  }
  return { outcome: 'failed', message: `${why}; the server reports deploy state "${outcome}"${reason ? ` (${reason})` : ''}` };
}
