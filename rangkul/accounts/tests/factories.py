from __future__ import annotations

import factory

from rangkul.accounts.models import BranchOffice, User


class BranchOfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BranchOffice
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"BR{n:03d}")
    name = factory.Sequence(lambda n: f"Cabang {n}")
    regency_id = "33.74"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name", locale="id_ID")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("correct horse battery")
