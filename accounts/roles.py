"""The three roles of the design card, as Django groups."""

ADMIN = "admin"
COMMISSIONER = "commissioner"
KEYWORKER = "keyworker"
ROLES = (ADMIN, COMMISSIONER, KEYWORKER)
# Who reads the commissioners' publications (aggregates only; superusers count as admins). A deployment
# with separated duties gives none of them the keyworker role (careplans.rules.insider_refusal).
UNMET_ROLES = (COMMISSIONER, ADMIN)

# Model permissions per role, as (app_label, model or "*" for every model, actions).
ROLE_PERMISSIONS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    ADMIN: [
        ("services", "*", ("view", "add", "change", "delete")),
        ("areas", "*", ("view", "add", "change", "delete")),
        ("auth", "user", ("view", "add", "change")),
        ("careplans", "team", ("view", "add", "change", "delete")),
        ("careplans", "auditevent", ("view",)),
        ("careplans", "publication", ("view",)),  # when, on what data and how each was built; no figures change
        ("accounts", "rolechange", ("view",)),
        ("reach", "scenario", ("view",)),  # to apply commissioners' scenarios to the catalogue
        ("reach", "scenariochange", ("view",)),
    ],
    COMMISSIONER: [
        ("services", "*", ("view",)),
        ("areas", "*", ("view",)),
    ],
    KEYWORKER: [
        ("services", "*", ("view",)),
        ("areas", "locality", ("view",)),
    ],
}
