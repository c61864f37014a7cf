"""Kemendagri-shaped region codes for tests, without loading the whole list."""

from __future__ import annotations

from rangkul.regions.models import District, Province, Regency, Village

TREE = [
    # province, regency, district, village
    (("33", "JAWA TENGAH"), ("33.74", "KOTA SEMARANG"), ("33.74.01", "Semarang Tengah"), ("33.74.01.1001", "Miroto")),
    (
        ("33", "JAWA TENGAH"),
        ("33.74", "KOTA SEMARANG"),
        ("33.74.01", "Semarang Tengah"),
        ("33.74.01.1002", "Brumbungan"),
    ),
    (("33", "JAWA TENGAH"), ("33.74", "KOTA SEMARANG"), ("33.74.02", "Semarang Utara"), ("33.74.02.1001", "Bulu Lor")),
    (("33", "JAWA TENGAH"), ("33.22", "KAB. SEMARANG"), ("33.22.01", "Getasan"), ("33.22.01.2001", "Kopeng")),
    (("31", "DKI JAKARTA"), ("31.71", "KOTA ADM. JAKARTA PUSAT"), ("31.71.01", "Gambir"), ("31.71.01.1001", "Gambir")),
    (("94", "PAPUA"), ("94.01", "KAB. MERAUKE"), ("94.01.01", "Merauke"), ("94.01.01.1001", "Kelapa Lima")),
]


def small_region_tree() -> dict[str, Village]:
    villages = {}
    for (pc, pn), (rc, rn), (dc, dn), (vc, vn) in TREE:
        Province.objects.get_or_create(code=pc, defaults={"name": pn})
        Regency.objects.get_or_create(code=rc, defaults={"name": rn, "province_id": pc, "is_remote": rc == "94.01"})
        District.objects.get_or_create(code=dc, defaults={"name": dn, "regency_id": rc})
        villages[vc], _ = Village.objects.get_or_create(code=vc, defaults={"name": vn, "district_id": dc})
    return villages
