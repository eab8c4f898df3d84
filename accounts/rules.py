"""Who may change whose access to care records, in the words an admin sees.

Care records open to keyworkers on the case (their own caseload or their team's). So the superuser
flag, the keyworker role and team membership are "care-record access": only a superuser changes
them, never for themselves through a role they lack, and every change is audited
(accounts.services.record_access_changes). The admin forms and the services both call this module.

An account that reads both some care records and the publications ("dual access") can hold back new
publications (careplans.rules.insider_refusal), so starting or stopping to be one is on the record too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .roles import KEYWORKER, UNMET_ROLES


@dataclass(frozen=True)
class AccessState:
    """The parts of a user that decide care-record access and who may change them."""

    is_superuser: bool = False
    groups: frozenset[str] = frozenset()
    teams: frozenset[str] = field(default_factory=frozenset)

    @property
    def opens_care_records(self) -> bool:
        return self.is_superuser or KEYWORKER in self.groups

    @property
    def dual_access(self) -> bool:
        """Reads the care records of some people (the keyworker role) and the publications: what it reads
        could single out the rest of a batch. A superuser reads every record, so nothing a publication
        counts differently is unknown to them: they are not one."""
        return not self.is_superuser and KEYWORKER in self.groups and bool(self.groups & set(UNMET_ROLES))


def access_changes(before: AccessState, after: AccessState) -> list[str]:
    """The care-record access changes between two states, as audit lines."""
    changes = []
    if before.is_superuser != after.is_superuser:
        changes.append("granted superuser" if after.is_superuser else "superuser removed")
    if (KEYWORKER in before.groups) != (KEYWORKER in after.groups):
        changes.append("granted the keyworker role" if KEYWORKER in after.groups else "keyworker role removed")
    changes += [f"joined team {name}" for name in sorted(after.teams - before.teams)]
    changes += [f"left team {name}" for name in sorted(before.teams - after.teams)]
    if before.dual_access != after.dual_access:
        changes.append(
            "now reads both care records and publications: a new publication is refused while some, but fewer "
            "than UNMET_PUBLISH_MIN_CHANGED, of the people it counts differently are unknown to them"
            if after.dual_access
            else "no longer reads both care records and publications"
        )
    return changes


def access_change_problems(*, actor, user, before: AccessState, after: AccessState) -> list[str]:
    """Why `actor` may not make this change to `user` (none when allowed)."""
    if actor.is_superuser:
        return []
    problems = []
    if user is not None and user.pk == actor.pk and before.groups != after.groups:
        problems.append("You cannot change your own groups: ask a superuser.")
    if access_changes(before, after):
        problems.append(
            "Only a superuser can grant or remove superuser status, the keyworker role or team membership: "
            "they decide who can read care records."
        )
    return problems


def may_edit_account(*, actor, before: AccessState) -> bool:
    """Only a superuser edits the account (password included) of someone who can read care records:
    setting a keyworker's password would be a way into their caseload."""
    return actor.is_superuser or not before.opens_care_records
