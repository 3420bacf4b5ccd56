import { type Diagnostic, diagnostic, type RelatedInformation, type Severity, type Span } from '../diagnostics/diagnostic.js';

/** Collects the resolve stage's diagnostics and the names the policy uses. */
export class ResolveContext {
  readonly diagnostics: Diagnostic[] = [];
  readonly usedNetworks = new Set<string>();
  readonly usedPortSets = new Set<string>();

  report(code: string, severity: Severity, message: string, span: Span, related?: RelatedInformation[]): void {
    this.diagnostics.push(diagnostic(code, severity, message, span, related));
  }
}
