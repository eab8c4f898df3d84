from tests.api.conftest import api  # noqa: F401
from tests.careplans.conftest import caseloads, team, users, world  # noqa: F401  (shared care-record fixtures)
from tests.reach.conftest import small_world  # noqa: F401  (two localities, two providers, three offers)
