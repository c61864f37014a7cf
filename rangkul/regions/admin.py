from django.contrib import admin

from rangkul.regions.models import District, Province, Regency, Village, WorkforceRelease


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Regency)
class RegencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "province", "is_remote")
    list_filter = ("is_remote", "province")
    search_fields = ("code", "name")


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "regency")
    search_fields = ("code", "name")
    raw_id_fields = ("regency",)


@admin.register(Village)
class VillageAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "district")
    search_fields = ("code", "name")
    raw_id_fields = ("district",)


@admin.register(WorkforceRelease)
class WorkforceReleaseAdmin(admin.ModelAdmin):
    """Releases are loaded by ``load_workforce``; here they are only read."""

    list_display = ["version", "title", "is_current", "loaded_at"]
    readonly_fields = ["version", "title", "source_file", "content_sha256", "loaded_at", "is_current"]
