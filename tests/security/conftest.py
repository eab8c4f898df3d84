from tests.careplans.conftest import caseloads, team, users, world  # noqa: F401  (shared care-record fixtures)
