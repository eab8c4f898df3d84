"""Run axe-core (vendored, tests only) in a Playwright page; keep the violations the exceptions do not excuse."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.accessibility.exceptions import EXCEPTIONS

AXE_PATH = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_VERSION = "4.14.1"
# WCAG 2.2 level A and AA, as axe tags them (WCAG 2.2's level A criteria carry wcag2a/wcag21a tags).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.flat().join(" >>> "), html: n.html, summary: n.failureSummary})),
  }));
}"""


@dataclass(frozen=True)
class Finding:
    path: str
    role: str
    rule: str
    impact: str
    help: str
    target: str
    html: str
    summary: str

    def __str__(self) -> str:
        heading = f"{self.role} {self.path}: {self.rule} ({self.impact}) {self.help}"
        return f"{heading}\n    {self.target}\n    {self.html[:200]}\n    {self.summary}"


def install_axe(context) -> None:
    """Load axe into every document of the context before the page's own scripts.

    An init script runs outside the page's Content-Security-Policy, which a <script> tag would meet.
    """
    context.add_init_script(path=str(AXE_PATH))


def audit(page, *, role: str, path: str) -> list[Finding]:
    """axe's WCAG 2.2 AA violations on the page as it is now, less the reviewed exceptions."""
    assert page.evaluate("axe.version") == AXE_VERSION
    findings = []
    for violation in page.evaluate(RUN_AXE, WCAG_TAGS):
        for node in violation["nodes"]:
            if any(e.covers(path=path, rule=violation["rule"], target=node["target"]) for e in EXCEPTIONS):
                continue
            findings.append(
                Finding(
                    path=path,
                    role=role,
                    rule=violation["rule"],
                    impact=violation["impact"],
                    help=violation["help"],
                    target=node["target"],
                    html=node["html"],
                    summary=node["summary"],
                )
            )
    return findings


def report(findings: list[Finding]) -> str:
    """A summary per page and rule, then every element, for a failing test's message."""
    counts: dict[tuple[str, str, str], int] = {}
    for finding in findings:
        key = (finding.role, finding.path, finding.rule)
        counts[key] = counts.get(key, 0) + 1
    summary = [f"  {role} {path}: {rule} on {n} element(s)" for (role, path, rule), n in counts.items()]
    return "\n".join([f"{len(findings)} WCAG 2.2 AA findings:", *summary, "", *map(str, findings)])
