"""The audit trail of changes to who may read care records."""

from django.conf import settings
from django.db import models


class RoleChange(models.Model):
    """One change to a user's superuser flag, keyworker role or team membership, or to whether they read both care
    records and publications: who, to whom, what, from where."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_username = models.CharField(max_length=150, help_text="Copied, so the trail survives the account.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150, help_text="Whose access changed; copied like actor_username.")
    change = models.CharField(max_length=300, help_text="e.g. 'granted superuser', 'joined team North'.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=300)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor_username}: {self.username} {self.change} at {self.at:%Y-%m-%d %H:%M}"
