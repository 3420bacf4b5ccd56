/**
 * The GitHub Actions workflow `init` writes (`.github/workflows/benteng.yml`): on every push to `main`
 * and every pull request, install benteng, lint with code-scanning (SARIF) upload and annotations
 * (`--format github`), check that `generated/` is up to date (`build --check`), and on pull requests
 * show what the change does to access (`diff --base`) in the job summary and as annotations, once the
 * base branch has policies. Checked against GitHub's own workflow parser in `test/cli/init.test.ts`.
 */

/** The workflow's text; `packageSpec` is what `npm install --global` installs (quoted, never parsed). */
export function workflowFile(packageSpec: string): string {
  return `# benteng: check the firewall policies on every push to main and every pull request.
name: benteng

on:
  push:
    branches: [main]
  pull_request:

permissions:
  contents: read

env:
  # The benteng this workflow installs with \`npm install --global\`: a version from the npm registry,
  # or the URL of a tarball (\`npm pack\`) or a git repository (github:owner/repo#tag).
  BENTENG_PACKAGE: ${JSON.stringify(packageSpec)}
  NO_COLOR: "1"

jobs:
  policies:
    name: lint, build --check, diff
    runs-on: ubuntu-latest
    permissions:
      contents: read
      security-events: write # upload the lint findings to code scanning
    steps:
      - uses: actions/checkout@v5
        with:
          fetch-depth: 0 # benteng diff reads the base branch
      - uses: actions/setup-node@v5
        with:
          node-version: 24
      - name: Install benteng
        run: |
          npm install --global --no-audit --no-fund "$BENTENG_PACKAGE"
          benteng --version
      - name: Lint for code scanning (SARIF)
        # Exit 1 means findings, which the upload shows; exit 2 (a broken run) fails here.
        run: benteng lint --format sarif > benteng.sarif || [ "$?" -eq 1 ]
      - name: Upload to code scanning
        # Code scanning needs a public repository or GitHub Advanced Security, and pull requests from
        # forks may not upload: then this step is skipped over, and the next step still annotates.
        continue-on-error: true
        uses: github/codeql-action/upload-sarif@v4
        with:
          sarif_file: benteng.sarif
          category: benteng
      - name: Lint
        run: benteng lint --format github
      - name: generated/ is up to date
        if: \${{ !cancelled() }}
        run: benteng build --check
      - name: Access changes against the base branch
        if: \${{ !cancelled() && github.event_name == 'pull_request' }}
        env:
          BASE_REF: \${{ github.base_ref }}
        run: |
          if ! git cat-file -e "origin/$BASE_REF:policies" 2>/dev/null; then
            echo "origin/$BASE_REF has no policies/ yet: nothing to compare"
            exit 0
          fi
          status=0
          benteng diff --base "origin/$BASE_REF" --format markdown > benteng-diff.md || status=$?
          cat benteng-diff.md
          cat benteng-diff.md >> "$GITHUB_STEP_SUMMARY"
          benteng diff --base "origin/$BASE_REF" --format github || status=$?
          exit "$status"
`;
}
