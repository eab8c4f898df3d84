from .selectors import user_roles


def roles(request) -> dict:
    """`roles` in every template, e.g. {% if "commissioner" in roles %}."""
    return {"roles": user_roles(getattr(request, "user", None))}
