// Liveness and readiness. Ready (200) only while serving: 503 while starting and while draining
// after SIGTERM, so a load balancer stops sending before the node stops accepting.

export type Phase = 'starting' | 'serving' | 'draining' | 'stopped';

export class Health {
  phase: Phase = 'starting';
  get ready(): boolean {
    return this.phase === 'serving';
  }
  get live(): boolean {
    return this.phase !== 'stopped';
  }
}
