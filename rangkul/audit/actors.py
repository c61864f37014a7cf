"""Who acted, typed: a signed-in user, an API key, or the system (a command, task or channel).

Services take an ``Actor`` and pass it to the audit writer; the label stored with each audit row
is the actor's ``label``. Compare ``kind`` with ``ActorKind`` members, never with free strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ActorKind(StrEnum):
    USER = "user"
    API_KEY = "api_key"
    SYSTEM = "system"  # a management command, a background task, a payment channel's callback


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: str  # the user's key, the API key's prefix, or the job's name
    label: str  # what the audit log shows
    user: Any = field(default=None, compare=False, repr=False)  # the User, for kind USER

    def has_perm(self, permission: str) -> bool:
        """Whether a signed-in user acts and holds ``permission``; an API key or a job never does."""
        return self.user is not None and bool(self.user.has_perm(permission))

    @property
    def username(self) -> str:
        """The user's login name, or the label when no user acts (for records that kept the login name)."""
        return str(self.user.username) if self.user is not None else self.label

    @classmethod
    def for_user(cls, user: Any) -> Actor:
        return cls(ActorKind.USER, str(user.pk), str(user), user)

    @classmethod
    def for_api_key(cls, prefix: str) -> Actor:
        return cls(ActorKind.API_KEY, prefix, f"api_key:{prefix}")

    @classmethod
    def system(cls, job: str) -> Actor:
        """A command, task or channel, named as the audit log shows it (``command:import_workers``)."""
        return cls(ActorKind.SYSTEM, job, job)

    @classmethod
    def of(cls, value: Any) -> Actor:
        """An ``Actor`` from what callers passed before actors were typed: a user, a label, or nothing."""
        if isinstance(value, Actor):
            return value
        if getattr(value, "is_authenticated", False):
            return cls.for_user(value)
        if isinstance(value, str):
            prefix, _sep, rest = value.partition(":")
            if prefix == ActorKind.API_KEY and rest:
                return cls.for_api_key(rest)
            return cls.system(value)
        return cls.system("system")
