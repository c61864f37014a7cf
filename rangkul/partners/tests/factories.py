from __future__ import annotations

import factory

from rangkul.partners.models import Organisation, OrganisationKind


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"org{n:03d}")
    name = factory.Sequence(lambda n: f"Komunitas {n}")
    kind = OrganisationKind.COMMUNITY
    region_id = "33.74"
